"""Open persistent MCP sessions (in-process, stdio or streamable HTTP) and load their tools into a Toolbox."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp import StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from cadencia.agents.mcp_client import ValidatingClientSession, memory_session
from cadencia.agents.toolbox import Toolbox
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends


@asynccontextmanager
async def inprocess_toolbox(backends: Backends) -> AsyncIterator[Toolbox]:
    """The combined server in this process, over in-memory streams: the embedded default."""
    server = build_server(Capability.ALL, backends=backends)
    async with memory_session(server._mcp_server) as session:
        yield Toolbox.of(await load_mcp_tools(session))


@asynccontextmanager
async def stdio_toolbox(db: str) -> AsyncIterator[Toolbox]:
    """The combined server as a subprocess over stdio (what Claude Desktop does)."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "cadencia", "serve", "all", "--db", db])
    async with stdio_client(params) as (read, write), ValidatingClientSession(read, write) as session:
        await session.initialize()
        yield Toolbox.of(await load_mcp_tools(session))


@asynccontextmanager
async def http_toolbox(urls: list[str], *, token: str | None = None) -> AsyncIterator[Toolbox]:
    """One persistent session per URL; names that collide across servers are prefixed `s<N>_`."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with AsyncExitStack() as stack:
        tools = []
        for index, url in enumerate(urls):
            client = await stack.enter_async_context(httpx.AsyncClient(headers=headers, timeout=60))
            read, write, _ = await stack.enter_async_context(streamable_http_client(url, http_client=client))
            session = await stack.enter_async_context(ValidatingClientSession(read, write))
            await session.initialize()
            loaded = await load_mcp_tools(session)
            taken = {t.name for t in tools}
            for tool in loaded:
                if tool.name in taken:
                    tool.name = f"s{index}_{tool.name}"
            tools.extend(loaded)
        yield Toolbox.of(tools)
