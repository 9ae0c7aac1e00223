"""Inventory tools over an in-memory MCP session: discovery, reads, paging, bad input, scopes and read-only mode."""

from __future__ import annotations

from typing import Any

from helpers.mcp import call_error, call_ok, mcp_session
from mcp import Client

from cadencia.servers.app import TOOLSETS, Capability
from cadencia.servers.context import Backends
from cadencia.tools.inventory.sandbox import BY_SKU
from cadencia.tools.paging import MAX_CURSOR_CHARS, encode_cursor
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.store import Store

SKU = "ML-000001"
REGISTRY = TOOLSETS[Capability.INVENTORY].registry()
MUTATING = {name for name, rv in REGISTRY.items() if rv.mutates}
PROMOTION = {"sku": SKU, "discount_pct": 10, "starts_on": "2026-03-03", "ends_on": "2026-03-09", "label": "Spring"}
VALID_WRITES: dict[str, dict[str, Any]] = {
    "adjust_stock": {"sku": SKU, "warehouse_id": "WH-MAD", "delta": 5, "expected_on_hand": 0, "reason": "recount"},
    "set_price": {"sku": SKU, "price_minor": 2590, "currency": "EUR"},
    "schedule_promotion": PROMOTION,
    "end_promotion": {"promotion_id": "PR-000001"},
    "update_product_content": {"sku": SKU, "title": "Palette Soie"},
    "create_purchase_order": {"sku": SKU, "warehouse_id": "WH-MAD", "quantity": 10},
    "confirm_purchase_order": {"purchase_order_id": "PO-000001"},
    "cancel_purchase_order": {"purchase_order_id": "PO-000001"},
    "undo": {"token": "undo_inventory-000001-0000000000"},
}
BAD_INPUTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("list_products", {"category": "shoes"}, ["category"]),
    ("list_products", {"limit": 0}, ["limit"]),
    ("list_products", {"limit": 101}, ["limit"]),
    ("list_products", {"limit": "many"}, ["limit"]),
    ("list_products", {"cursor": "garbage!"}, ["cursor", "omit it"]),
    ("list_products", {"cursor": encode_cursor(-1)}, ["cursor"]),
    ("list_products", {"cursor": encode_cursor(20)}, ["cursor", "omit it"]),
    ("list_products", {"cursor": BY_SKU.encode(["ML-000001", "WH-MAD"])}, ["cursor", "omit it"]),
    ("list_products", {"cursor": BY_SKU.encode([1.5])}, ["cursor", "omit it"]),
    ("list_products", {"cursor": "a" * (MAX_CURSOR_CHARS + 1)}, ["cursor", "longer than"]),
    ("list_products", {"query": "x" * 101}, ["query"]),
    ("get_product", {}, ["sku", "Field required"]),
    ("get_product", {"sku": 5}, ["sku"]),
    ("get_product", {"sku": ""}, ["sku"]),
    ("get_product", {"sku": "ML-999999"}, ["[not_found]", "ML-999999", "list_products"]),
    ("get_stock", {"sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("get_stock", {"warehouse_id": "WH-XXX"}, ["[not_found]", "WH-BOG, WH-MAD"]),
    ("get_stock", {"max_days_of_cover": -1}, ["max_days_of_cover"]),
    ("get_stock", {"cursor": "garbage!"}, ["cursor"]),
    ("forecast_demand", {}, ["sku"]),
    ("forecast_demand", {"sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("forecast_demand", {"sku": SKU, "horizon_days": 0}, ["horizon_days"]),
    ("forecast_demand", {"sku": SKU, "horizon_days": 181}, ["horizon_days"]),
    ("forecast_demand", {"sku": SKU, "service_level": 1.0}, ["service_level"]),
    ("forecast_demand", {"sku": SKU, "service_level": 0.4}, ["service_level"]),
    ("list_forecasts", {"category": "shoes"}, ["category"]),
    ("list_forecasts", {"reorder_only": "perhaps"}, ["reorder_only"]),
    ("list_forecasts", {"cursor": "garbage!"}, ["cursor"]),
    ("list_forecasts", {"reorder_only": True, "cursor": "garbage!"}, ["cursor"]),
    ("sales_report", {"since": "2026-03-01", "until": "2026-02-01"}, ["since", "after until"]),
    ("sales_report", {"since": "last week"}, ["since"]),
    ("sales_report", {"sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("sales_report", {"category": "shoes"}, ["category"]),
    ("adjust_stock", {**VALID_WRITES["adjust_stock"], "delta": "x"}, ["delta"]),
    ("adjust_stock", {**VALID_WRITES["adjust_stock"], "delta": 1_000_001}, ["delta"]),
    ("adjust_stock", {**VALID_WRITES["adjust_stock"], "expected_on_hand": -1}, ["expected_on_hand"]),
    ("adjust_stock", {**VALID_WRITES["adjust_stock"], "reason": "ok"}, ["reason"]),
    ("adjust_stock", {k: v for k, v in VALID_WRITES["adjust_stock"].items() if k != "warehouse_id"}, ["warehouse_id"]),
    ("adjust_stock", {**VALID_WRITES["adjust_stock"], "sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("adjust_stock", {**VALID_WRITES["adjust_stock"], "warehouse_id": "WH-XXX"}, ["[not_found]", "WH-BOG, WH-MAD"]),
    ("set_price", {**VALID_WRITES["set_price"], "price_minor": 0}, ["price_minor"]),
    ("set_price", {**VALID_WRITES["set_price"], "price_minor": "cheap"}, ["price_minor"]),
    ("set_price", {**VALID_WRITES["set_price"], "price_minor": 26.9}, ["price_minor"]),
    ("set_price", {**VALID_WRITES["set_price"], "currency": "eur"}, ["currency"]),
    ("set_price", {"sku": SKU, "price_minor": 2590}, ["currency", "Field required"]),
    ("set_price", {**VALID_WRITES["set_price"], "sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("set_price", {**VALID_WRITES["set_price"], "idempotency_key": "abc"}, ["idempotency_key"]),
    ("list_promotions", {"sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("list_promotions", {"active_only": "perhaps"}, ["active_only"]),
    ("list_promotions", {"cursor": "garbage!"}, ["cursor"]),
    ("schedule_promotion", {**PROMOTION, "discount_pct": 0}, ["discount_pct"]),
    ("schedule_promotion", {**PROMOTION, "discount_pct": 91}, ["discount_pct"]),
    ("schedule_promotion", {**PROMOTION, "starts_on": "tomorrow"}, ["starts_on"]),
    ("schedule_promotion", {**PROMOTION, "ends_on": "2026-03-02"}, ["ends_on", "on or after starts_on"]),
    ("schedule_promotion", {**PROMOTION, "label": ""}, ["label"]),
    ("schedule_promotion", {k: v for k, v in PROMOTION.items() if k != "label"}, ["label"]),
    ("schedule_promotion", {**PROMOTION, "sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("end_promotion", {}, ["promotion_id"]),
    ("end_promotion", {"promotion_id": "PR-999999"}, ["[not_found]", "list_promotions"]),
    ("update_product_content", {"sku": SKU}, ["at least one of title, description or bullets"]),
    ("update_product_content", {"sku": SKU, "title": ""}, ["title"]),
    ("update_product_content", {"sku": SKU, "bullets": ["b"] * 11}, ["bullets"]),
    ("update_product_content", {"sku": SKU, "bullets": "one bullet"}, ["bullets"]),
    ("update_product_content", {"sku": "ML-999999", "title": "T"}, ["[not_found]", "list_products"]),
    ("list_purchase_orders", {"status": "shipped"}, ["status"]),
    ("list_purchase_orders", {"sku": "ML-999999"}, ["[not_found]", "list_products"]),
    ("list_purchase_orders", {"cursor": "garbage!"}, ["cursor"]),
    ("create_purchase_order", {**VALID_WRITES["create_purchase_order"], "quantity": 0}, ["quantity"]),
    ("create_purchase_order", {**VALID_WRITES["create_purchase_order"], "quantity": "ten"}, ["quantity"]),
    ("create_purchase_order", {"sku": SKU, "quantity": 10}, ["warehouse_id"]),
    ("create_purchase_order", {**VALID_WRITES["create_purchase_order"], "sku": "ML-999999"}, ["list_products"]),
    ("create_purchase_order", {**VALID_WRITES["create_purchase_order"], "warehouse_id": "WH-XXX"}, ["WH-MAD"]),
    ("confirm_purchase_order", {}, ["purchase_order_id"]),
    ("confirm_purchase_order", {"purchase_order_id": "PO-999999"}, ["[not_found]", "list_purchase_orders"]),
    ("cancel_purchase_order", {"purchase_order_id": "PO-999999"}, ["[not_found]", "list_purchase_orders"]),
    ("undo", {"token": ""}, ["token"]),
    ("undo", {"token": "undo_inventory-999999-0000000000"}, ["[not_found]", "result of a reversible tool"]),
]


async def _all_pages(s: Client, tool: str, args: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = await call_ok(s, tool, {**args, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"{tool} never reached its last page")


# -- discovery --------------------------------------------------------------------------------------------------


async def test_tools_publish_their_reversibility_and_hints_that_match_it(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        listed = {t.name: t for t in (await s.list_tools()).tools}
    assert set(listed) == set(REGISTRY)
    for name, tool in listed.items():
        assert tool.meta and tool.meta["cadencia/reversibility"] == REGISTRY[name].value, name
        assert tool.annotations is not None and tool.description and tool.output_schema, name
        assert bool(tool.annotations.read_only_hint) is (REGISTRY[name] is Reversibility.READ), name
    assert REGISTRY["confirm_purchase_order"] is Reversibility.IRREVERSIBLE
    assert listed["confirm_purchase_order"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert "IRREVERSIBLE" in (listed["confirm_purchase_order"].description or "")
    reversible = {n for n, rv in REGISTRY.items() if rv is Reversibility.REVERSIBLE}
    assert reversible == MUTATING - {"confirm_purchase_order"}


async def test_read_only_server_lists_only_the_read_tools(backends: Backends) -> None:
    async with mcp_session("inventory", backends, read_only=True) as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert "Unknown tool" in await call_error(s, "set_price", VALID_WRITES["set_price"])
    assert names == set(REGISTRY) - MUTATING


async def test_a_read_scope_caller_is_denied_every_mutating_tool_and_nothing_changes(
    store: Store, backends: Backends
) -> None:
    assert set(VALID_WRITES) == MUTATING
    async with mcp_session("inventory", backends, scopes=frozenset({"read"})) as s:
        before = store.state_hash()
        for tool, args in VALID_WRITES.items():
            text = await call_error(s, tool, args)
            assert "[permission_denied]" in text and "'write'" in text, (tool, text)
        assert (await call_ok(s, "get_product", {"sku": SKU}))["sku"] == SKU
        assert store.state_hash() == before


async def test_bad_input_is_refused_naming_the_field_or_the_next_call_and_changes_nothing(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        for tool, args, needles in BAD_INPUTS:
            text = await call_error(s, tool, args)
            assert all(n in text for n in needles), (tool, args, text)
        assert store.state_hash() == before
    assert {tool for tool, _, _ in BAD_INPUTS} == set(REGISTRY)


# -- reads ------------------------------------------------------------------------------------------------------


async def test_list_products_cursor_round_trip_covers_every_product_exactly_once(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        everything = await call_ok(s, "list_products", {"limit": 100})
        paged = await _all_pages(s, "list_products", {}, limit=7)
        makeup = await _all_pages(s, "list_products", {"category": "makeup"}, limit=4)
        past_the_end = await call_ok(s, "list_products", {"cursor": BY_SKU.encode(["ML-999999"])})
        makeup_page = await call_ok(s, "list_products", {"category": "makeup", "limit": 2})
    skus = [p["sku"] for p in paged]
    assert len(everything["items"]) == 40 and everything["next_cursor"] is None and everything["total"] == 40
    assert skus == sorted(set(skus)) == [p["sku"] for p in everything["items"]]
    assert {p["category"] for p in makeup} == {"makeup"}
    assert len(makeup) == sum(1 for p in everything["items"] if p["category"] == "makeup")
    assert past_the_end == {"items": [], "next_cursor": None, "total": 40}
    assert makeup_page["total"] == len(makeup) and len(makeup_page["items"]) == 2


async def test_name_query_matches_a_literal_case_insensitive_substring(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        palettes = await call_ok(s, "list_products", {"query": "PALETTE", "limit": 100})
        wildcard = await call_ok(s, "list_products", {"query": "%", "limit": 100})
        underscore = await call_ok(s, "list_products", {"query": "_", "limit": 100})
    assert palettes["items"] and all("palette" in p["name"].lower() for p in palettes["items"])
    assert SKU in {p["sku"] for p in palettes["items"]}
    assert wildcard["items"] == [] and underscore["items"] == []


async def test_get_product_shows_cost_content_lead_time_and_the_server_price_floor(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        product = await call_ok(s, "get_product", {"sku": SKU})
        summary = (await call_ok(s, "list_products", {"query": "palette soie", "limit": 100}))["items"]
    assert (product["price_minor"], product["list_price_minor"], product["cost_minor"]) == (2690, 2690, 834)
    # max(cost 834 × 1.10 = 918, list 2690 × (1 - 40%) = 1614)
    assert product["price_floor_minor"] == 1614
    assert product["title"] and product["description"] and product["bullets"]
    assert product["lead_time_days"] == 7 and product["active_promotion"] is None
    assert summary[0]["on_hand"] == product["on_hand"] == 172
    assert "elasticity" not in product and "base_daily_demand" not in product


async def test_get_stock_rows_add_up_filter_by_cover_and_page_through_every_row(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        rows = await call_ok(s, "get_stock", {"sku": SKU})
        madrid = await call_ok(s, "get_stock", {"warehouse_id": "WH-MAD", "limit": 100})
        paged = await _all_pages(s, "get_stock", {}, limit=15)
        low = await _all_pages(s, "get_stock", {"max_days_of_cover": 5}, limit=3)
    assert {r["warehouse_id"] for r in rows["items"]} == {"WH-MAD", "WH-BOG"}
    assert sum(r["on_hand"] for r in rows["items"]) == 172
    assert all(r["available"] == r["on_hand"] - r["reserved"] for r in paged)
    assert len(madrid["items"]) == 40 and {r["warehouse_id"] for r in madrid["items"]} == {"WH-MAD"}
    keys = [(r["sku"], r["warehouse_id"]) for r in paged]
    assert len(keys) == 80 == len(set(keys)) and keys == sorted(keys)
    assert low and all(r["days_of_cover"] is not None and r["days_of_cover"] <= 5 for r in low)
    covers = {(r["sku"], r["warehouse_id"]): r["days_of_cover"] for r in paged}
    assert [(r["sku"], r["warehouse_id"]) for r in low] == [k for k, c in covers.items() if c is not None and c <= 5]


async def test_list_forecasts_reorder_only_pages_exactly_the_skus_due_for_reorder(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        everything = (await call_ok(s, "list_forecasts", {"limit": 100}))["items"]
        due = await _all_pages(s, "list_forecasts", {"reorder_only": True}, limit=5)
        fragrance = await call_ok(s, "list_forecasts", {"category": "fragrance", "limit": 100})
        single = await call_ok(s, "forecast_demand", {"sku": "ML-000002"})
    assert len(everything) == 40
    assert [f["sku"] for f in due] == [f["sku"] for f in everything if f["should_reorder"]]
    assert 0 < len(due) < 40
    assert {f["sku"] for f in fragrance["items"]} == {f"ML-{i:06d}" for i in range(2, 40, 3)}
    assert single == next(f for f in everything if f["sku"] == "ML-000002")


async def test_sales_report_defaults_to_the_last_seven_days_and_splits_by_category(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        week = await call_ok(s, "sales_report")
        explicit = await call_ok(s, "sales_report", {"since": "2026-02-23", "until": "2026-03-01"})
        parts = [await call_ok(s, "sales_report", {"category": c}) for c in ("skincare", "makeup", "fragrance")]
        one = await call_ok(s, "sales_report", {"sku": SKU, "since": "2026-02-01"})
        future = await call_ok(s, "sales_report", {"since": "2026-04-01", "until": "2026-04-07"})
    assert (week["since"], week["until"], week["currency"]) == ("2026-02-23", "2026-03-01", "EUR")
    assert explicit == week and week["skus"] == 40 and week["units"] > 0
    assert week["gross_profit_minor"] == week["revenue_minor"] - week["cogs_minor"] > 0
    for key in ("units", "revenue_minor", "cogs_minor", "skus"):
        assert sum(p[key] for p in parts) == week[key], key
    assert one["skus"] == 1 and one["revenue_minor"] == one["units"] * 2690
    assert (future["units"], future["skus"]) == (0, 0)


async def test_set_price_then_undo_restores_the_store_exactly(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        changed = await call_ok(s, "set_price", {"sku": SKU, "price_minor": 2900, "currency": "EUR"})
        assert changed["previous_price_minor"] == 2690
        assert store.state_hash() != before
        await call_ok(s, "undo", {"token": changed["undo_token"]})
        assert store.state_hash() == before


async def test_price_below_floor_is_refused_and_changes_nothing(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        text = await call_error(s, "set_price", {"sku": SKU, "price_minor": 100, "currency": "EUR"})
        assert "rule: price_floor" in text and "at least 1614" in text
        assert store.state_hash() == before
