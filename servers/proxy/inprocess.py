"""The proxy in this process, in front of Cadencia's own combined server: how the graph and the eval harness run
their calls through an overlay without a subprocess (`--servers "inprocess;proxy=overlays/cadencia.yaml"`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from cadencia.servers.app import CadenciaMCP, Capability, build_server
from cadencia.servers.context import Backends
from cadencia.servers.proxy.journal import UndoJournal
from cadencia.servers.proxy.overlay import load_overlay
from cadencia.servers.proxy.server import build_proxy, check_fit
from cadencia.servers.proxy.upstream import UpstreamSpec, connect
from cadencia.servers.safety.guard import ServerSafety


@asynccontextmanager
async def proxied_combined_server(
    backends: Backends, overlay_path: Path, *, safety: ServerSafety | None, journal_url: str
) -> AsyncIterator[CadenciaMCP]:
    """The proxy (holding calls to `safety`) over the combined server on `backends` (which holds none itself)."""
    overlay = load_overlay(overlay_path)
    journal = UndoJournal.open(journal_url)
    try:
        async with connect(UpstreamSpec(server=build_server(Capability.ALL, backends=backends))) as upstream:
            tools = await upstream.tools()
            check_fit(overlay, tools)
            yield build_proxy(upstream, tools, overlay, safety=safety, journal=journal)
    finally:
        journal.close()
