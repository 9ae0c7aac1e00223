"""Paths into JSON arguments and results (`budget.amount_micros`, `lines.*.price`), and templates that build a
call's arguments from them (`$args.campaign_id`, `$before.budget`)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

EVERY = "*"
REF = "$"


class PathMissing(LookupError):
    """A path that leads nowhere in the value it was read from."""


def segments(path: str) -> list[str]:
    return [s for s in path.split(".") if s] if path else []


def read_path(value: JsonValue, path: str) -> JsonValue:
    """The value at `path`; `*` maps the rest of the path over a list. Raises `PathMissing` naming the step."""
    return _read(value, segments(path), path)


def _read(value: JsonValue, steps: list[str], path: str) -> JsonValue:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if step == EVERY:
        if not isinstance(value, list):
            raise PathMissing(f"{path}: expected a list before '*'")
        return [_read(item, rest, path) for item in value]
    if isinstance(value, dict) and step in value:
        return _read(value[step], rest, path)
    if isinstance(value, list) and step.isdigit() and int(step) < len(value):
        return _read(value[int(step)], rest, path)
    raise PathMissing(f"{path}: no {step!r}")


def is_ref(value: JsonValue) -> bool:
    return isinstance(value, str) and value.startswith(REF) and len(value) > 1


def resolve(template: JsonValue, scope: Mapping[str, JsonValue]) -> JsonValue:
    """`template` with every `$name.path` string replaced by that path in `scope[name]` (objects and lists
    recursively; other strings are literals). Raises `PathMissing` for a reference that leads nowhere."""
    if is_ref(template):
        assert isinstance(template, str)
        name, _, path = template[1:].partition(".")
        if name not in scope:
            raise PathMissing(f"{template}: no ${name} here (known: {', '.join('$' + k for k in scope)})")
        return read_path(scope[name], path)
    if isinstance(template, dict):
        return {k: resolve(v, scope) for k, v in template.items()}
    if isinstance(template, list):
        return [resolve(v, scope) for v in template]
    return template


def refs_in(template: JsonValue) -> set[str]:
    """The scope names a template refers to (`args`, `before`, …)."""
    if is_ref(template):
        assert isinstance(template, str)
        return {template[1:].partition(".")[0]}
    if isinstance(template, dict):
        return set().union(*(refs_in(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(refs_in(v) for v in template)) if template else set()
    return set()
