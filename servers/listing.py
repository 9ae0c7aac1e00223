"""A lean tool listing: what a model reads before any work, in as few characters as keep it exact.

Input schemas keep what guides a caller (types, enums, bounds on numbers and on text it writes, patterns, required
names, `additionalProperties: false`, terse descriptions) and drop what repeats or says nothing: titles, `$defs` (a
referenced model or enum is written where it is used), `anyOf [X, null]` for an optional argument (omitting it says
"none"), null and false defaults, and length bounds on ids and keys (copied or generated, never written). The server
still enforces every rule. Output schemas say only that a result is an object: the result carries its own field
names, and every client re-validates each result against this schema on every call. Descriptions lose docstring
indentation; the title goes (the name says it, and it cost 57 × 25 characters).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from cadencia.servers.context import scopes_in
from cadencia.servers.params import ID_MAX

LISTING_BUDGET = 40_000
"""Characters `tools/list` of the combined server may take on the wire (57 tools took 175,393 before)."""
SHORTEST_PUBLISHED_MAX_LENGTH = 100
"""Text bounds below this are on ids and codes (copied, never written); ID_MAX is a bound against abuse."""
SHORTEST_PUBLISHED_MIN_LENGTH = 10
"""Shorter minimums (non-empty ids, an 8-character idempotency key) are enforced with a field error, not published."""

JsonSchema = dict[str, Any]


def describe(doc: str | None) -> str:
    """A docstring as one line of prose: indentation and line breaks gone."""
    return " ".join((doc or "").split())


def lean_input(schema: JsonSchema) -> JsonSchema:
    """An argument schema without titles, `$defs`, null branches, null defaults or id length bounds."""
    return _lean(schema, schema.get("$defs", {}), frozenset())


def lean_output(_schema: JsonSchema) -> JsonSchema:
    """The schema published for a tool's result: an object (structured content always is one)."""
    return {"type": "object"}


def listing_chars(tools: Iterable[Any]) -> int:
    """Characters of a `tools/list` result as the server writes it (compact JSON, aliases, no nulls)."""
    listed = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    return len(json.dumps({"tools": listed}, separators=(",", ":"), ensure_ascii=False))


def _lean(node: Mapping[str, Any], defs: Mapping[str, Any], seen: frozenset[str]) -> JsonSchema:
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:  # a recursive model: say what it is, not again what is inside
            return {"type": "object"}
        seen = seen | {ref}
        node = {**defs[ref.removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}}
    branches = node.get("anyOf")
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1 < len(branches):  # optional: omitting it says "none"
            return _lean({**kept[0], **{k: v for k, v in node.items() if k != "anyOf"}}, defs, seen)
    lean: JsonSchema = {}
    for key, value in node.items():
        if not _guides(key, value, node):
            continue
        if key == "properties":
            lean[key] = {name: _lean(prop, defs, seen) for name, prop in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            lean[key] = _lean(value, defs, seen)
        elif key in ("anyOf", "oneOf", "allOf"):
            lean[key] = [_lean(branch, defs, seen) for branch in value]
        else:
            lean[key] = value
    return lean


def _guides(key: str, value: Any, node: Mapping[str, Any]) -> bool:
    """Whether a schema keyword tells a caller something the rest of the schema does not."""
    if key in ("title", "$defs"):
        return False
    if key == "default":
        return value not in (None, False)
    if key == "type":
        return "enum" not in node
    if key == "minLength":
        return value >= SHORTEST_PUBLISHED_MIN_LENGTH
    if key == "maxLength":
        return SHORTEST_PUBLISHED_MAX_LENGTH <= value != ID_MAX
    return True


class _RegisteredTool(Protocol):
    """The SDK's registered tool, as far as the listing needs it (FastMCP 1.x and MCPServer 2.x alike)."""

    title: str | None
    annotations: Any
    description: str
    parameters: dict[str, Any]
    fn_metadata: Any


def shape(tool: _RegisteredTool | None) -> None:
    """Publish a registered tool leanly: no title, one-line description, lean input and output schemas."""
    assert tool is not None
    tool.title = None
    if tool.annotations is not None:
        tool.annotations = tool.annotations.model_copy(update={"title": None})
    tool.description = describe(tool.description)
    tool.parameters = lean_input(tool.parameters)
    if tool.fn_metadata.output_schema is not None:
        tool.fn_metadata.output_schema = lean_output(tool.fn_metadata.output_schema)


class ScopedListing:
    """`MCPServer(middleware=[...])` entry: `tools/list` leaves out the tools the caller's scopes cannot use.

    `needs` maps a tool to the scope it requires beyond `read` (the approval inbox needs `approve`, which no stdio
    caller has). A left-out tool is still refused by name, with the scope it needs, if called anyway.
    """

    def __init__(self, needs: Mapping[str, str]) -> None:
        self.needs = dict(needs)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list" or not self.needs or not isinstance(result, dict):
            return result
        granted = scopes_in(ctx.lifespan_context)
        usable = [t for t in result.get("tools", []) if self.needs.get(t.get("name"), "read") in granted]
        return result | {"tools": usable}
