"""In-memory MCP sessions against a freshly built server, and calls that must succeed or fail cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import ClientSession
from mcp.shared.memory import create_connected_server_and_client_session

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
