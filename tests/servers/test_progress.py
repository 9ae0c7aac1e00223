"""Long tools send progress notifications when the client asks for them (a progress token), on both eras."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends
from cadencia.tools import progress

Seen = list[tuple[float, float | None, str | None]]


async def _call(client: Any, tool: str, args: dict[str, Any]) -> Seen:
    seen: Seen = []

    async def heard(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    result = await client.call_tool(tool, args, progress_callback=heard)
    assert not result.is_error, result.content
    return seen


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_long_tools_report_progress_to_a_client_that_asked(backends: Backends, mode: str) -> None:
    async with memory_client(build_server(Capability.ALL, backends=backends), mode=mode) as client:
        reach = await _call(client, "crm_estimate_segment", {"rules": {}})
        scan = await _call(client, "inventory_list_forecasts", {"reorder_only": True, "limit": 5})
        page = await _call(client, "inventory_list_forecasts", {"limit": 3})
        sales = await _call(client, "inventory_sales_report", {})
    assert [(d, t) for d, t, _ in reach] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert reach[1][2] == "consented reach on email"
    assert scan[0][:2] == (0, scan[-1][1]) and scan[-1][0] > 0 and "due for reorder" in (scan[-1][2] or "")
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(scan))
    assert [(d, t) for d, t, _ in page] == [(0, 3), (3, 3)]
    assert [(d, t) for d, t, _ in sales] == [(0, 1), (1, 1)]


async def test_without_a_listener_nothing_is_counted_or_sent(backends: Backends) -> None:
    assert not progress.listening()
    progress.report(1, 2, "nobody listens")  # a no-op, not an error
    async with memory_client(build_server(Capability.INVENTORY, backends=backends)) as client:
        result = await client.call_tool("list_forecasts", {"reorder_only": True, "limit": 5})
    assert not result.is_error and result.structured_content is not None
