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

from cadencia.agents.server_forms import FORM_ANSWER_ARG, QUESTION_ARTIFACT, FormAnswer, ServerForms, ServerQuestion


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


def as_langchain_tool(tool: Tool, client: Client, forms: ServerForms | None = None) -> BaseTool:
    """One MCP tool as a LangChain tool calling it through `client` (kept open by the caller).

    With `forms` (the client's elicitation callback), a question the server asked and nobody answered yet comes
    back as an error result whose artifact names it, and a call carrying `FORM_ANSWER_ARG` answers it."""

    # Unannotated on purpose: LangChain resolves the coroutine's type hints on every call (looking for a
    # RunnableConfig parameter), and postponed annotations made that an eval per tool call.
    async def call(**arguments):  # type: ignore[no-untyped-def]
        answer = arguments.pop(FORM_ANSWER_ARG, None)
        if forms is None:
            result = await client.call_tool(tool.name, arguments)
            asked: list[ServerQuestion] = []
        else:
            if answer is not None:
                forms.expect(FormAnswer.model_validate(answer))
            asked, token = forms.collecting()
            try:
                result = await client.call_tool(tool.name, arguments)
            finally:
                asked += forms.stop_collecting(token)
        if result.is_error:
            text = result_text(result) or f"{tool.name} reported an error with no text"
            if asked:
                return text, {"is_error": True, QUESTION_ARTIFACT: asked[-1].model_dump(mode="json")}
            raise ToolException(text)
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


async def load_tools(client: Client, forms: ServerForms | None = None) -> list[BaseTool]:
    """Every tool the connected server lists (all pages), as LangChain tools (`forms`: the client's elicitation
    callback, when it has one)."""
    tools: list[Tool] = []
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return [as_langchain_tool(t, client, forms) for t in tools]
