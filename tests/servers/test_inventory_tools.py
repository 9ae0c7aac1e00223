"""Inventory tools over an in-memory MCP session."""

from __future__ import annotations

from helpers import call_error, call_ok, mcp_session

from cadencia.servers.context import Backends
from cadencia.tools.store.store import Store


async def test_set_price_then_undo_restores_the_store_exactly(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        changed = await call_ok(s, "set_price", {"sku": "ML-000001", "price_minor": 2900, "currency": "EUR"})
        assert changed["previous_price_minor"] == 2690
        assert store.state_hash() != before
        await call_ok(s, "undo", {"token": changed["undo_token"]})
        assert store.state_hash() == before


async def test_price_below_floor_is_refused_and_changes_nothing(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        text = await call_error(s, "set_price", {"sku": "ML-000001", "price_minor": 100, "currency": "EUR"})
        assert "price_floor" not in text or "floor" in text
        assert "floor" in text
        assert store.state_hash() == before
