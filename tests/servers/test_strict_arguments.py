"""Loose input is refused, not guessed at: unknown names, coerced types, unstorable text, odd dates, deep nesting."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.mcp import call_error, call_ok, mcp_session

from cadencia.servers.app import Capability, build_server
from cadencia.servers.arguments import MAX_DEPTH
from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.store.store import Store

ORDER = {"sku": "ML-000001", "warehouse_id": "WH-MAD", "quantity": 5}


async def test_an_unknown_argument_is_refused_naming_it_and_the_closest_known_name(
    store: Store, backends: Backends
) -> None:
    before = store.state_hash()
    async with mcp_session("inventory", backends) as s:
        first = await call_error(s, "create_purchase_order", {**ORDER, "idempotencyKey": "order-0001"})
        second = await call_error(s, "create_purchase_order", {**ORDER, "idempotencyKey": "order-0001"})
        orders = await call_ok(s, "list_purchase_orders", {"sku": "ML-000001"})
    assert first == second
    assert "[invalid_argument]" in first and "idempotencyKey: unknown argument" in first
    assert "did you mean 'idempotency_key'?" in first and "nothing changed" in first
    assert store.state_hash() == before
    assert all(order["status"] != "draft" or order["quantity"] != 5 for order in orders["items"])


async def test_an_unknown_name_inside_a_nested_argument_is_refused_with_its_own_suggestion(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        text = await call_error(s, "estimate_segment", {"rules": {"min_order": 2}})
    assert "rules.min_order: unknown argument; did you mean 'min_orders'?" in text


async def test_an_unknown_name_with_nothing_close_lists_the_known_names(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        text = await call_error(s, "get_product", {"sku": "ML-000001", "zzz": 1})
    assert "zzz: unknown argument; known: sku" in text and "did you mean" not in text


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("create_purchase_order", {**ORDER, "quantity": "7"}, "quantity"),
        ("create_purchase_order", {**ORDER, "quantity": True}, "quantity"),
        ("create_purchase_order", {**ORDER, "quantity": 7.0}, "quantity"),
        ("set_price", {"sku": "ML-000001", "price_minor": "2990", "currency": "EUR"}, "price_minor"),
        (
            "adjust_stock",
            {"sku": "ML-000001", "warehouse_id": "WH-MAD", "delta": 1, "expected_on_hand": "133", "reason": "recount"},
            "expected_on_hand",
        ),
    ],
)
async def test_mutating_tools_take_json_types_as_they_are_without_coercion(
    store: Store, backends: Backends, tool: str, args: dict[str, Any], field: str
) -> None:
    before = store.state_hash()
    async with mcp_session("inventory", backends) as s:
        text = await call_error(s, tool, args)
    assert f"{field}: Input should be a valid integer" in text
    assert store.state_hash() == before


async def test_a_string_is_not_a_boolean_on_a_mutating_tool(store: Store, backends: Backends) -> None:
    before = store.state_hash()
    async with mcp_session("reviews", backends) as s:
        text = await call_error(
            s,
            "request_reviews",
            {"sku": "ML-000001", "contact_ids": ["C-0000001"], "channel": "email", "dry_run": "true"},
        )
    assert "dry_run: Input should be a valid boolean" in text
    assert store.state_hash() == before


async def test_read_tools_still_accept_numbers_sent_as_text(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        page = await call_ok(s, "list_products", {"limit": "3"})
    assert len(page["items"]) == 3


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("update_product_content", {"sku": "ML-000001", "title": "Sérum\x00"}, "title"),
        ("update_product_content", {"sku": "ML-000001", "bullets": ["ok", "b\x00d"]}, "bullets.1"),
        ("list_products", {"query": "a\x00"}, "query"),
        ("update_product_content", {"sku": "ML-000001", "title": "half \ud800 surrogate"}, "title"),
    ],
)
async def test_text_no_backend_can_store_is_a_field_error_on_sqlite_and_postgresql(
    any_store: Store, tool: str, args: dict[str, Any], field: str
) -> None:
    before = any_store.state_hash()
    async with mcp_session("inventory", sandbox_backends(any_store)) as s:
        text = await call_error(s, tool, args)
    assert text.startswith("[invalid_argument]") and f"{field}: must" in text
    assert any_store.state_hash() == before


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "9999-12-31"])
async def test_days_outside_the_supported_range_are_field_errors(backends: Backends, day: str) -> None:
    async with mcp_session("all", backends) as s:
        report = await call_error(s, "inventory_sales_report", {"since": day})
        until = await call_error(s, "inventory_sales_report", {"until": day})
        performance = await call_error(s, "ads_get_performance", {"since": day})
        reviews = await call_error(s, "reviews_list_reviews", {"since": day})
    for text, field in ((report, "since"), (until, "until"), (performance, "since"), (reviews, "since")):
        assert text.startswith("[invalid_argument]") and f"{field}: Input should be" in text


async def test_an_argument_nested_too_deep_is_a_field_error(store: Store, backends: Backends) -> None:
    deep: Any = "x"
    for _ in range(150):  # as deep as the in-memory client serialises; raw JSON-RPC nesting is tested at transport
        deep = [deep]
    before = store.state_hash()
    async with mcp_session("inventory", backends) as s:
        text = await call_error(s, "update_product_content", {"sku": "ML-000001", "bullets": deep})
    assert text.startswith("[invalid_argument]") and f"nested more than {MAX_DEPTH} levels deep" in text
    assert store.state_hash() == before


async def test_every_published_input_schema_refuses_unknown_properties(backends: Backends) -> None:
    server = build_server(Capability.ALL, backends=backends)
    listed = await server.list_tools()
    assert len(listed) > 50
    assert [t.name for t in listed if t.input_schema.get("additionalProperties") is not False] == []


async def test_an_integer_no_backend_can_store_is_a_field_error(any_store: Store) -> None:
    before = any_store.state_hash()
    args = {"sku": "ML-000001", "warehouse_id": "WH-MAD", "delta": 1, "expected_on_hand": 2**63, "reason": "recount"}
    async with mcp_session("inventory", sandbox_backends(any_store)) as s:
        text = await call_error(s, "adjust_stock", args)
    assert text.startswith("[invalid_argument]") and "expected_on_hand: must fit a 64-bit integer" in text
    assert any_store.state_hash() == before


async def test_json_nested_a_thousand_deep_inside_a_string_argument_is_a_field_error(
    store: Store, backends: Backends
) -> None:
    before = store.state_hash()
    deep = "[" * 1000 + "]" * 1000  # clients that send lists as JSON text get them parsed; this one cannot be
    async with mcp_session("inventory", backends) as s:
        text = await call_error(s, "update_product_content", {"sku": "ML-000001", "bullets": deep})
    assert text.startswith("[invalid_argument]") and "bullets: " in text
    assert store.state_hash() == before
