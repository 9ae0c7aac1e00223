"""Edited approvals: a person's edit is a JSON merge patch (RFC 7396) over the arguments they were shown, checked
against the tool's input schema before the edited action is guarded again.

`{"quantity": 120}` changes one argument and keeps the others; `{"note": null}` removes one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jsonschema import Draft202012Validator
from pydantic import JsonValue

from cadencia.agents.actions import JsonArgs

SERVER_SET = frozenset({"idempotency_key"})
"""Arguments the choke point sets itself: an edit may not name them."""


class EditError(ValueError):
    """An edit that is not an object, names an argument the gate sets, or breaks the tool's input schema."""


def merge_patch(target: JsonValue, patch: JsonValue) -> JsonValue:
    """RFC 7396: objects merge key by key (null deletes), anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged: dict[str, JsonValue] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _where(path: Iterable[object]) -> str:
    return ".".join(str(p) for p in path) or "(arguments)"


def apply_edit(args: JsonArgs, patch: JsonValue, schema: Mapping[str, object] | None) -> JsonArgs:
    """The arguments after the patch, valid against `schema` (every problem named by field and rule), or EditError."""
    if not isinstance(patch, dict):
        raise EditError("an edit is a JSON object of the arguments to change, e.g. '{\"quantity\": 120}'")
    named = sorted(SERVER_SET & patch.keys())
    if named:
        raise EditError(f"{', '.join(named)}: set by Cadencia for every call; leave it out of the edit")
    merged = merge_patch(dict(args), patch)
    assert isinstance(merged, dict)
    if schema:
        problems = sorted(Draft202012Validator(dict(schema)).iter_errors(merged), key=lambda e: list(e.path))
        if problems:
            listed = "; ".join(f"{_where(e.absolute_path)}: {e.message} ({e.validator})" for e in problems)
            raise EditError(f"the edited arguments do not fit the tool's input schema: {listed}")
    return merged
