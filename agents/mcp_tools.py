"""MCP tools as LangChain tools over one connected SDK `Client` (what `langchain-mcp-adapters` did, in one page).

Each tool keeps its server-declared annotations and `_meta` in `tool.metadata` (the shape the gate reads), its
input schema as `args_schema`, and returns `content_and_artifact`: the text for the model and the structured
content as `artifact["structured_content"]`. A result with `isError` becomes `ToolMessage(status="error")` carrying
the server's own message, so the model can correct itself.
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from mcp import Client
from mcp.types import CallToolResult, TextContent, Tool


def result_text(result: CallToolResult) -> str:
    """The text blocks of a result, joined; other block kinds are named, never inlined (no base64 for models)."""
    parts = [b.text if isinstance(b, TextContent) else f"[{b.type} content]" for b in result.content]
    return "\n".join(parts)


def tool_metadata(tool: Tool) -> dict[str, Any]:
    """Annotations by their wire names (`readOnlyHint`, …) plus the server's `_meta` under `_meta`."""
    hints = tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else {}
    return hints | ({"_meta": dict(tool.meta)} if tool.meta else {})


def _error_text(error: ToolException) -> str:
    return str(error)


def as_langchain_tool(tool: Tool, client: Client) -> BaseTool:
    """One MCP tool as a LangChain tool calling it through `client` (kept open by the caller)."""

    async def call(**arguments: Any) -> tuple[str, dict[str, Any] | None]:
        result = await client.call_tool(tool.name, arguments)
        if result.is_error:
            raise ToolException(result_text(result) or f"{tool.name} reported an error with no text")
        structured = result.structured_content
        return result_text(result), {"structured_content": structured} if structured is not None else None

    return StructuredTool(
        name=tool.name,
        description=tool.description or tool.title or "",
        args_schema=tool.input_schema,
        coroutine=call,
        response_format="content_and_artifact",
        metadata=tool_metadata(tool),
        handle_tool_error=_error_text,
    )


async def load_tools(client: Client) -> list[BaseTool]:
    """Every tool the connected server lists (all pages), as LangChain tools."""
    tools: list[Tool] = []
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return [as_langchain_tool(t, client) for t in tools]
