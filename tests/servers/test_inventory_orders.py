"""Stock, content and purchase orders over an in-memory MCP session: invariants refuse and change nothing."""

from __future__ import annotations

from typing import Any

from helpers.mcp import call_error, call_ok, mcp_session

from cadencia.servers.context import Backends
from cadencia.tools.store.store import Store

SKU = "ML-000001"  # cost 834, lead time 7 days, 133 units in WH-MAD and 39 in WH-BOG
TODAY = "2026-03-02"


def stock_args(delta: int, expected: int) -> dict[str, Any]:
    return {"sku": SKU, "warehouse_id": "WH-MAD", "delta": delta, "expected_on_hand": expected, "reason": "recount"}


# -- stock ------------------------------------------------------------------------------------------------------


async def test_adjust_stock_is_compare_and_set_and_never_goes_negative(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        stale = await call_error(s, "adjust_stock", stock_args(5, 130))
        negative = await call_error(s, "adjust_stock", stock_args(-134, 133))
        assert store.state_hash() == before
        added = await call_ok(s, "adjust_stock", stock_args(5, 133))
        emptied = await call_ok(s, "adjust_stock", stock_args(-138, 138))
        below_zero = await call_error(s, "adjust_stock", stock_args(-1, 0))
        rows = {r["warehouse_id"]: r["on_hand"] for r in (await call_ok(s, "get_stock", {"sku": SKU}))["items"]}
    assert "[conflict]" in stale and "has 133 on hand, not the expected 130" in stale and "get_stock" in stale
    assert "rule: stock_non_negative" in negative and "133 -134 = -1" in negative
    assert (added["previous_on_hand"], added["on_hand"], added["reason"]) == (133, 138, "recount")
    assert added["undo_token"] and (emptied["previous_on_hand"], emptied["on_hand"]) == (138, 0)
    assert "rule: stock_non_negative" in below_zero
    assert rows == {"WH-MAD": 0, "WH-BOG": 39}


# -- content ----------------------------------------------------------------------------------------------------


async def test_update_product_content_changes_only_the_given_fields_and_returns_the_previous(
    backends: Backends,
) -> None:
    async with mcp_session("inventory", backends) as s:
        original = await call_ok(s, "get_product", {"sku": SKU})
        changed = await call_ok(s, "update_product_content", {"sku": SKU, "bullets": ["Vegan formula", "Refillable"]})
        product = await call_ok(s, "get_product", {"sku": SKU})
    previous = {k: original[k] for k in ("title", "description", "bullets")}
    assert changed["previous"] == previous and changed["undo_token"]
    assert changed["content"] == {**previous, "bullets": ["Vegan formula", "Refillable"]}
    assert {k: product[k] for k in ("title", "description", "bullets")} == changed["content"]


# -- purchase orders --------------------------------------------------------------------------------------------


async def test_a_purchase_order_is_drafted_at_cost_confirmed_once_and_expected_after_the_lead_time(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        draft = await call_ok(s, "create_purchase_order", {"sku": SKU, "warehouse_id": "WH-MAD", "quantity": 120})
        po = draft["purchase_order"]
        drafts = await call_ok(s, "list_purchase_orders", {"status": "draft"})
        confirmed = await call_ok(s, "confirm_purchase_order", {"purchase_order_id": po["id"]})
        before = store.state_hash()
        twice = await call_error(s, "confirm_purchase_order", {"purchase_order_id": po["id"]})
        cancel_confirmed = await call_error(s, "cancel_purchase_order", {"purchase_order_id": po["id"]})
        assert store.state_hash() == before
        forecast = await call_ok(s, "forecast_demand", {"sku": SKU})
        mine = await call_ok(s, "list_purchase_orders", {"sku": SKU})
    assert (po["id"], po["status"], po["quantity"], po["unit_cost_minor"]) == ("PO-000001", "draft", 120, 834)
    assert (po["total_minor"], po["currency"], po["created_on"], po["expected_on"]) == (100_080, "EUR", TODAY, None)
    assert draft["previous_status"] is None and draft["undo_token"]
    assert drafts["items"] == [po]
    after = confirmed["purchase_order"]
    assert (after["status"], after["confirmed_on"], after["expected_on"]) == ("confirmed", TODAY, "2026-03-09")
    assert confirmed["previous_status"] == "draft" and confirmed["undo_token"] is None
    assert "[conflict]" in twice and "only drafts can be confirmed" in twice
    assert "[conflict]" in cancel_confirmed and "only drafts can be cancelled" in cancel_confirmed
    assert forecast["incoming"] == [{"purchase_order_id": po["id"], "quantity": 120, "expected_on": "2026-03-09"}]
    assert mine["items"] == [after]


async def test_a_cancelled_draft_can_be_neither_cancelled_again_nor_confirmed(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        po = (await call_ok(s, "create_purchase_order", {"sku": SKU, "warehouse_id": "WH-BOG", "quantity": 5}))[
            "purchase_order"
        ]
        cancelled = await call_ok(s, "cancel_purchase_order", {"purchase_order_id": po["id"]})
        before = store.state_hash()
        again = await call_error(s, "cancel_purchase_order", {"purchase_order_id": po["id"]})
        confirm = await call_error(s, "confirm_purchase_order", {"purchase_order_id": po["id"]})
        assert store.state_hash() == before
        listed = await call_ok(s, "list_purchase_orders", {"status": "cancelled"})
    assert (cancelled["previous_status"], cancelled["purchase_order"]["status"]) == ("draft", "cancelled")
    assert "is cancelled; only drafts can be cancelled" in again
    assert "is cancelled; only drafts can be confirmed" in confirm
    assert [p["id"] for p in listed["items"]] == [po["id"]]


async def test_purchase_orders_over_the_quantity_or_value_cap_are_refused(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        too_many = await call_error(
            s, "create_purchase_order", {"sku": SKU, "warehouse_id": "WH-MAD", "quantity": 20_001}
        )
        too_dear = await call_error(  # 1424 × 3513 = 5,002,512 > 5,000,000
            s, "create_purchase_order", {"sku": "ML-000002", "warehouse_id": "WH-MAD", "quantity": 1424}
        )
        assert store.state_hash() == before
        largest = await call_ok(
            s, "create_purchase_order", {"sku": "ML-000002", "warehouse_id": "WH-MAD", "quantity": 1423}
        )
    assert "rule: max_po_quantity" in too_many and "20000" in too_many
    assert "rule: max_po_value" in too_dear and "5002512" in too_dear
    assert largest["purchase_order"]["total_minor"] == 4_998_999
