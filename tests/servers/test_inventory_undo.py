"""Inventory undo and idempotency over an in-memory MCP session: exact undo, stale and used tokens, safe retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from helpers.mcp import call_error, call_ok, mcp_session
from mcp import Client
from sqlalchemy import delete, func, select

from cadencia.servers.app import TOOLSETS, Capability
from cadencia.servers.context import Backends
from cadencia.tools.inventory.tables import stock
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.journal import calls
from cadencia.tools.store.store import Store

SKU = "ML-000001"
REGISTRY = TOOLSETS[Capability.INVENTORY].registry()
PROMOTION = {"sku": SKU, "discount_pct": 10, "starts_on": "2026-03-02", "ends_on": "2026-03-08", "label": "Spring"}
Prepare = Callable[[Client], Awaitable[dict[str, Any]]]


def recount(delta: int, expected: int, *, sku: str = SKU, warehouse_id: str = "WH-MAD") -> dict[str, Any]:
    return {"sku": sku, "warehouse_id": warehouse_id, "delta": delta, "expected_on_hand": expected, "reason": "recount"}


def given(args: dict[str, Any]) -> Prepare:
    async def prepare(_s: Client) -> dict[str, Any]:
        return args

    return prepare


async def running_promotion(s: Client) -> dict[str, Any]:
    created = await call_ok(s, "schedule_promotion", PROMOTION)
    return {"promotion_id": created["promotion"]["id"]}


async def draft_order(s: Client) -> dict[str, Any]:
    created = await call_ok(s, "create_purchase_order", {"sku": SKU, "warehouse_id": "WH-BOG", "quantity": 40})
    return {"purchase_order_id": created["purchase_order"]["id"]}


UNDO_CASES: list[tuple[str, Prepare]] = [
    ("adjust_stock", given(recount(-3, 133))),
    # ML-000004 has no WH-BOG row in that test (deleted first): the adjustment inserts one and undo deletes it.
    ("adjust_stock", given(recount(8, 0, sku="ML-000004", warehouse_id="WH-BOG"))),
    ("set_price", given({"sku": SKU, "price_minor": 2490, "currency": "EUR"})),
    ("schedule_promotion", given({**PROMOTION, "sku": "ML-000003", "starts_on": "2026-03-05"})),
    ("end_promotion", running_promotion),
    ("update_product_content", given({"sku": SKU, "title": "T", "description": "D", "bullets": ["B"]})),
    ("create_purchase_order", given({"sku": SKU, "warehouse_id": "WH-MAD", "quantity": 60})),
    ("cancel_purchase_order", draft_order),
]


def calls_with_key(store: Store, key: str) -> int:
    with store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(calls).where(calls.c.idempotency_key == key)).scalar())


async def test_every_reversible_inventory_tool_is_undone_to_an_identical_state_hash(
    store: Store, backends: Backends
) -> None:
    reversible = {n for n, rv in REGISTRY.items() if rv is Reversibility.REVERSIBLE} - {"undo"}
    assert {tool for tool, _ in UNDO_CASES} == reversible, "add an undo case for every reversible inventory tool"
    with store.writing() as conn:
        conn.execute(delete(stock).where(stock.c.sku == "ML-000004", stock.c.warehouse_id == "WH-BOG"))
    async with mcp_session("inventory", backends) as s:
        prepared = [(tool, await prepare(s)) for tool, prepare in UNDO_CASES]
        before = store.state_hash()
        for tool, args in prepared:
            done = await call_ok(s, tool, args)
            undone = await call_ok(s, "undo", {"token": done["undo_token"]})
            assert undone["tool"] == tool and undone["restored"], (tool, undone)
            assert store.state_hash() == before, f"undoing {tool}{args} did not restore the store"


async def test_a_stale_undo_is_refused_until_the_later_change_is_undone_and_a_used_token_never_replays(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        first = await call_ok(s, "set_price", {"sku": SKU, "price_minor": 2590, "currency": "EUR"})
        second = await call_ok(s, "set_price", {"sku": SKU, "price_minor": 2490, "currency": "EUR"})
        counted = await call_ok(s, "adjust_stock", recount(2, 133))
        await call_ok(s, "adjust_stock", recount(1, 135))
        draft = await call_ok(s, "create_purchase_order", {"sku": SKU, "warehouse_id": "WH-MAD", "quantity": 9})
        await call_ok(s, "confirm_purchase_order", {"purchase_order_id": draft["purchase_order"]["id"]})
        before = store.state_hash()
        stale_price = await call_error(s, "undo", {"token": first["undo_token"]})
        stale_stock = await call_error(s, "undo", {"token": counted["undo_token"]})
        stale_order = await call_error(s, "undo", {"token": draft["undo_token"]})
        assert store.state_hash() == before
        await call_ok(s, "undo", {"token": second["undo_token"]})
        used = await call_error(s, "undo", {"token": second["undo_token"]})
        now_current = await call_ok(s, "undo", {"token": first["undo_token"]})
        price = (await call_ok(s, "get_product", {"sku": SKU}))["price_minor"]
    for text in (stale_price, stale_stock, stale_order):
        assert "[conflict]" in text and "rule: stale_undo" in text and "changed since" in text, text
    assert "set_price" in stale_price and "adjust_stock" in stale_stock and "create_purchase_order" in stale_order
    assert "[conflict]" in used and "already used" in used
    assert now_current["restored"] == ["products ML-000001"] and price == 2690


async def test_an_inventory_undo_token_is_refused_by_every_other_capability_undo(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("all", backends) as s:
        changed = await call_ok(s, "inventory_set_price", {"sku": SKU, "price_minor": 2590, "currency": "EUR"})
        token = changed["undo_token"]
        before = store.state_hash()
        refusals = {cap: await call_error(s, f"{cap}_undo", {"token": token}) for cap in ("ads", "reviews", "crm")}
        assert store.state_hash() == before
        await call_ok(s, "inventory_undo", {"token": token})
    for text in refusals.values():
        assert "[invalid_argument]" in text and "belongs to the inventory server" in text, text


async def test_a_retry_with_the_same_key_returns_the_first_result_and_records_one_call(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        draft = (await call_ok(s, "create_purchase_order", {"sku": SKU, "warehouse_id": "WH-MAD", "quantity": 9}))[
            "purchase_order"
        ]
        retried: list[tuple[str, dict[str, Any]]] = [
            ("adjust_stock", recount(4, 133)),
            ("set_price", {"sku": SKU, "price_minor": 2590, "currency": "EUR"}),
            ("schedule_promotion", PROMOTION),
            ("update_product_content", {"sku": SKU, "title": "Palette"}),
            ("create_purchase_order", {"sku": SKU, "warehouse_id": "WH-BOG", "quantity": 12}),
            ("confirm_purchase_order", {"purchase_order_id": draft["id"]}),
        ]
        for i, (tool, args) in enumerate(retried):
            key = f"retry-{tool}-{i:04d}"
            first = await call_ok(s, tool, {**args, "idempotency_key": key})
            again = await call_ok(s, tool, {**args, "idempotency_key": key})
            assert again == first, tool
            assert calls_with_key(store, key) == 1, tool
        stock_after = await call_ok(s, "get_stock", {"sku": SKU, "warehouse_id": "WH-MAD"})
        orders = await call_ok(s, "list_purchase_orders", {"sku": SKU})
        undo_key = "retry-undo-00000001"
        price_token = (await call_ok(s, "set_price", {"sku": SKU, "price_minor": 2490, "currency": "EUR"}))[
            "undo_token"
        ]
        undone = await call_ok(s, "undo", {"token": price_token, "idempotency_key": undo_key})
        undone_again = await call_ok(s, "undo", {"token": price_token, "idempotency_key": undo_key})
    assert stock_after["items"][0]["on_hand"] == 137
    assert len(orders["items"]) == 2
    assert undone_again == undone and calls_with_key(store, undo_key) == 1


async def test_the_same_key_with_other_arguments_or_another_tool_is_a_conflict_and_changes_nothing(
    store: Store, backends: Backends
) -> None:
    key = "price-change-0001"
    async with mcp_session("inventory", backends) as s:
        await call_ok(s, "set_price", {"sku": SKU, "price_minor": 2590, "currency": "EUR", "idempotency_key": key})
        before = store.state_hash()
        other_args = await call_error(
            s, "set_price", {"sku": SKU, "price_minor": 2790, "currency": "EUR", "idempotency_key": key}
        )
        other_tool = await call_error(
            s, "create_purchase_order", {"sku": SKU, "warehouse_id": "WH-MAD", "quantity": 5, "idempotency_key": key}
        )
        assert store.state_hash() == before
    for text in (other_args, other_tool):
        assert "[conflict]" in text and "field: idempotency_key" in text and "(set_price)" in text, text
    assert calls_with_key(store, key) == 1
