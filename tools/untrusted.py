"""Third-party text in tool results: how models mark it, how servers publish where it is, how clients find it.

A model marks a field written by customers or other third parties with `json_schema_extra=UNTRUSTED_MARK`. The
server derives, from each tool's output schema, the JSON paths of those fields (`items[].customer_text.body`) and
publishes them in the tool's `_meta` under `cadencia/untrusted`. A client treats the text at those paths as data
that may carry injected instructions; a tool that publishes no such list (a third-party server) is untrusted in
every string it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import JsonValue

META_KEY = "cadencia/untrusted"
SCHEMA_KEY = "x-cadencia-untrusted"
UNTRUSTED_MARK: dict[str, JsonValue] = {SCHEMA_KEY: True}
"""`Field(json_schema_extra=UNTRUSTED_MARK)`: this field (and anything below it) is third-party text."""

EACH = "[]"
"""Path step meaning every element of a list: `items[].notes`."""


def untrusted_paths(schema: dict[str, Any]) -> list[str]:
    """Paths of marked fields in a JSON schema (with `$defs`), in schema order; `[]` steps into list items."""
    defs = schema.get("$defs", {})
    found: list[str] = []

    def resolve(node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            return defs.get(name, {}), name
        return node, None

    def walk(node: dict[str, Any], path: str, seen: frozenset[str]) -> None:
        if node.get(SCHEMA_KEY) is True:
            if path not in found:
                found.append(path)
            return
        node, ref = resolve(node)
        if ref is not None:
            if ref in seen:
                return
            seen = seen | {ref}
            if node.get(SCHEMA_KEY) is True:
                walk(node, path, seen)
                return
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(key, []):
                walk(branch, path, seen)
        for name, prop in node.get("properties", {}).items():
            walk(prop, f"{path}.{name}" if path else name, seen)
        items = node.get("items")
        if isinstance(items, dict):
            walk(items, path + EACH, seen)

    walk(schema, "", frozenset())
    return found


@dataclass(frozen=True)
class FoundText:
    """A string found in a payload: where, the id of the nearest enclosing object that has one, and the text."""

    path: str
    entity: str | None
    text: str


def texts_at(payload: JsonValue, path: str) -> Iterator[FoundText]:
    """Every string at `path` in `payload`, and every string below it; `""` means the whole payload."""
    steps = _steps(path)
    yield from _follow(payload, steps, "", None)


def _steps(path: str) -> list[str]:
    steps: list[str] = []
    for part in path.split(".") if path else []:
        name = part
        while name.endswith(EACH):
            name = name[: -len(EACH)]
        if name:
            steps.append(name)
        steps += [EACH] * ((len(part) - len(name)) // len(EACH))
    return steps


def _entity(value: JsonValue, current: str | None) -> str | None:
    if isinstance(value, dict):
        found = value.get("id")
        if isinstance(found, str) and found:
            return found
    return current


def _follow(value: JsonValue, steps: list[str], where: str, entity: str | None) -> Iterator[FoundText]:
    entity = _entity(value, entity)
    if not steps:
        yield from _leaves(value, where, entity)
        return
    step, rest = steps[0], steps[1:]
    if step == EACH:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _follow(item, rest, f"{where}[{index}]", entity)
        return
    if isinstance(value, dict) and step in value:
        yield from _follow(value[step], rest, f"{where}.{step}" if where else step, entity)


def _leaves(value: JsonValue, where: str, entity: str | None) -> Iterator[FoundText]:
    entity = _entity(value, entity)
    if isinstance(value, str):
        if value:
            yield FoundText(path=where, entity=entity, text=value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{where}[{index}]", entity)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{where}.{key}" if where else key, entity)
