"""Tool results as compact JSON: the text a model reads carries no indentation.

The SDK renders a structured result's text block with `indent=2` (a third of a typical result's characters are
spaces and line breaks). This server middleware rewrites the text block of each successful `tools/call` as the
compact JSON of its `structuredContent`: the same data, fewer tokens.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from pydantic_core import to_json


def compact_text(structured: Any) -> str:
    """`structured` as compact JSON, non-ASCII text kept as is."""
    return to_json(structured).decode()


class CompactResults:
    """`MCPServer(middleware=[...])` entry: successful tool results carry their JSON text without indentation."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/call" or not isinstance(result, dict) or result.get("isError"):
            return result
        structured = result.get("structuredContent")
        if structured is None:
            return result
        return result | {"content": [{"type": "text", "text": compact_text(structured)}]}
