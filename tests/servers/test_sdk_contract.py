"""What Cadencia relies on from the MCP SDK (2.x), pinned so an SDK upgrade that changes it fails here, by name.

Tool errors reach the model as our own text (no SDK wrapper prefix, one line per bad argument) on both protocol
eras, and the SDK still words a failed tool the way `servers/errors.py` strips it.
"""

from __future__ import annotations

import inspect

import pytest
from helpers.mcp import call_error
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends
from cadencia.servers.errors import SDK_PREFIX

ERAS = ["legacy", "2026-07-28"]


async def test_the_sdk_still_prefixes_a_failed_tool_the_way_we_strip_it() -> None:
    bare = MCPServer("bare")

    @bare.tool()
    async def fails() -> str:
        raise ToolError("boom")

    async with memory_client(bare) as client:
        result = await client.call_tool("fails", {})
    assert result.is_error
    assert result.content[0].text == SDK_PREFIX.format(name="fails") + "boom"  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ERAS)
async def test_our_errors_arrive_as_written_on_both_eras(backends: Backends, mode: str) -> None:
    server = build_server(Capability.INVENTORY, backends=backends)
    async with memory_client(server, mode=mode) as client:
        missing = await call_error(client, "get_product", {"sku": "NOPE"})
        too_long = await call_error(client, "get_product", {"sku": "x" * 100})
        typed = await call_error(client, "list_products", {"limit": "many"})
    assert missing.startswith("[not_found] No SKU 'NOPE'")
    assert too_long.startswith("[invalid_argument] get_product: sku: String should have at most 32 characters")
    assert typed.startswith("[invalid_argument] list_products: limit:")
    assert not any("Error executing tool" in t or "pydantic" in t for t in (missing, too_long, typed))


async def test_a_crash_in_a_tool_is_reported_as_a_bug_without_its_text(backends: Backends) -> None:
    class Exploding:
        def __getattr__(self, name: str) -> object:
            raise RuntimeError("secret internals")

    broken = Backends(inventory=Exploding(), ads=backends.ads, reviews=backends.reviews, crm=backends.crm)  # type: ignore[arg-type]
    async with memory_client(build_server(Capability.INVENTORY, backends=broken)) as client:
        text = await call_error(client, "get_product", {"sku": "ML-000001"})
    assert text == "[internal] get_product failed unexpectedly; nothing was changed. This is a bug."


def test_the_stdio_shim_still_finds_what_it_reaches_for_in_the_sdk() -> None:
    """`servers/stdio.py` is the one module past the SDK's public API (`_lowlevel_server`, to wrap the stdio streams):
    an SDK that renames or reshapes it fails here, by name, before any stdio test does."""
    lowlevel = MCPServer("bare")._lowlevel_server
    assert list(inspect.signature(lowlevel.run).parameters)[:3] == [
        "read_stream",
        "write_stream",
        "initialization_options",
    ]
    assert callable(lowlevel.create_initialization_options)
