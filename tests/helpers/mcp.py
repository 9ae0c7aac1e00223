"""In-memory MCP sessions against a freshly built server, and calls that must succeed or fail cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends, Scope


@asynccontextmanager
async def mcp_session(
    capability: Capability | str,
    backends: Backends,
    *,
    read_only: bool = False,
    scopes: frozenset[Scope] = frozenset({"read", "write"}),
) -> AsyncIterator[Client]:
    """An in-process MCP client against a freshly built server."""
    server = build_server(Capability(capability), backends=backends, read_only=read_only, default_scopes=scopes)
    async with memory_client(server) as client:
        yield client


async def call_ok(session: Client, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a tool that must succeed; returns its structured content."""
    result = await session.call_tool(tool, args or {})
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert not result.is_error, f"{tool} failed: {text}"
    assert result.structured_content is not None
    return result.structured_content


async def call_error(session: Client, tool: str, args: dict[str, Any] | None = None) -> str:
    """Call a tool that must fail cleanly; returns the error text (never a traceback)."""
    result = await session.call_tool(tool, args or {})
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    assert "Traceback" not in text
    return text
