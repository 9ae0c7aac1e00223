"""Helpers shared by test modules: `from helpers import mcp_session, call_ok, call_error` (tests/ is on sys.path)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from mcp import ClientSession
from mcp.shared.memory import create_connected_server_and_client_session
from pydantic import Field

from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends, Scope


@asynccontextmanager
async def mcp_session(
    capability: Capability | str,
    backends: Backends,
    *,
    read_only: bool = False,
    scopes: frozenset[Scope] = frozenset({"read", "write"}),
) -> AsyncIterator[ClientSession]:
    """An in-memory MCP client session against a freshly built server."""
    server = build_server(Capability(capability), backends=backends, read_only=read_only, default_scopes=scopes)
    async with create_connected_server_and_client_session(server._mcp_server) as session:
        yield session


async def call_ok(session: ClientSession, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a tool that must succeed; returns its structured content."""
    result = await session.call_tool(tool, args or {})
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert not result.isError, f"{tool} failed: {text}"
    assert result.structuredContent is not None
    return result.structuredContent


async def call_error(session: ClientSession, tool: str, args: dict[str, Any] | None = None) -> str:
    """Call a tool that must fail cleanly; returns the error text (never a traceback)."""
    result = await session.call_tool(tool, args or {})
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert result.isError, f"{tool} unexpectedly succeeded: {result.structuredContent}"
    assert "Traceback" not in text
    return text


class ScriptedChatModel(GenericFakeChatModel):
    """A fake chat model that accepts bind_tools and replays scripted AIMessages; it records what it was sent."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> ScriptedChatModel:
        return self

    async def _agenerate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return await super()._agenerate(messages, *args, **kwargs)


def scripted(*tool_call_batches: list[dict[str, Any]]) -> ScriptedChatModel:
    """One AIMessage per batch of tool calls (`{"name": ..., "args": ...}`), then plain replies."""
    replies: list[AIMessage] = []
    for i, batch in enumerate(tool_call_batches):
        calls = [{"id": f"call-{i}-{j}", "name": c["name"], "args": c["args"]} for j, c in enumerate(batch)]
        replies.append(AIMessage("", tool_calls=calls))
    replies += [AIMessage("done")] * 10
    return ScriptedChatModel(messages=iter(replies))
