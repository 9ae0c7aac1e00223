"""Open persistent MCP sessions (in-process, stdio or streamable HTTP) and load their tools into a Toolbox.

Each client declares form elicitation through `ServerForms`: a server's question is never answered on its own, but
handed back with the call's result so the gate can answer it with a person's approval (no second question)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from cadencia.agents.mcp_client import cadencia_stdio_command, http_client, memory_client, stdio_client
from cadencia.agents.mcp_tools import load_tools
from cadencia.agents.server_forms import ServerForms
from cadencia.agents.toolbox import Toolbox
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends
from cadencia.servers.proxy.inprocess import proxied_combined_server
from cadencia.servers.safety.guard import ServerSafety


@asynccontextmanager
async def inprocess_toolbox(backends: Backends, *, safety: ServerSafety | None = None) -> AsyncIterator[Toolbox]:
    """The combined server in this process: the embedded default (with `safety`, held to a server policy as
    `cadencia serve` is)."""
    forms = ServerForms()
    server = build_server(Capability.ALL, backends=backends, safety=safety)
    async with memory_client(server, elicitation=forms) as client:
        yield Toolbox.of(await load_tools(client, forms))


@asynccontextmanager
async def proxied_toolbox(
    backends: Backends, overlay: Path, *, safety: ServerSafety | None, journal_url: str
) -> AsyncIterator[Toolbox]:
    """The combined server in this process behind `cadencia proxy`'s overlay (the proxy holds the server policy)."""
    async with (
        proxied_combined_server(backends, overlay, safety=safety, journal_url=journal_url) as server,
        memory_client(server) as client,
    ):
        yield Toolbox.of(await load_tools(client))


@asynccontextmanager
async def stdio_toolbox(db: str, workdir: Path | None = None) -> AsyncIterator[Toolbox]:
    """The combined server as a subprocess over stdio (what Claude Desktop does), keeping its approvals and audit in
    `workdir`: the run's own, so an approval given at the gate is the one the server accepts."""
    command = cadencia_stdio_command(db) + (["--workdir", str(workdir)] if workdir else [])
    forms = ServerForms()
    async with stdio_client(command, elicitation=forms) as client:
        yield Toolbox.of(await load_tools(client, forms))


@asynccontextmanager
async def http_toolbox(urls: list[str], *, token: str | None = None) -> AsyncIterator[Toolbox]:
    """One persistent session per URL; names that collide across servers are prefixed `s<N>_`."""
    async with AsyncExitStack() as stack:
        tools = []
        for index, url in enumerate(urls):
            forms = ServerForms()
            client = await stack.enter_async_context(http_client(url, token=token, elicitation=forms))
            loaded = await load_tools(client, forms)
            taken = {t.name for t in tools}
            for tool in loaded:
                if tool.name in taken:
                    tool.name = f"s{index}_{tool.name}"
            tools.extend(loaded)
        yield Toolbox.of(tools)
