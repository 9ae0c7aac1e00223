"""Prices and promotions over an in-memory MCP session: every floor and cap refuses and leaves the store as it was."""

from __future__ import annotations

from typing import Any

from helpers.mcp import call_error, call_ok, mcp_session

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.limits import Limits, PriceLimits
from cadencia.tools.store.store import Store

SKU = "ML-000001"  # price = list 2690, cost 834, floor max(834 × 1.1, 2690 × 0.6) = 1614
TODAY = "2026-03-02"


def price_args(price: int, *, sku: str = SKU, currency: str = "EUR") -> dict[str, Any]:
    return {"sku": sku, "price_minor": price, "currency": currency}


def promo_args(pct: int, *, sku: str = SKU, starts: str = TODAY, ends: str = "2026-03-08") -> dict[str, Any]:
    return {"sku": sku, "discount_pct": pct, "starts_on": starts, "ends_on": ends, "label": f"Spring -{pct}%"}


def next_week(pct: int, *, sku: str = SKU) -> dict[str, Any]:
    return promo_args(pct, sku=sku, starts="2026-03-10", ends="2026-03-16")


# -- prices -----------------------------------------------------------------------------------------------------


async def test_set_price_refuses_below_the_floor_beyond_the_max_change_and_in_another_currency(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        before = store.state_hash()
        below_floor = await call_error(s, "set_price", price_args(1613))
        too_far_up = await call_error(s, "set_price", price_args(4036))  # 2690 + 50% = 4035
        dollars = await call_error(s, "set_price", price_args(2590, currency="USD"))
        assert store.state_hash() == before
        at_floor = await call_ok(s, "set_price", price_args(1614))
        product = await call_ok(s, "get_product", {"sku": SKU})
    assert "rule: price_floor" in below_floor and "at least 1614" in below_floor
    assert "rule: max_price_change" in too_far_up and "50%" in too_far_up and "smaller steps" in too_far_up
    assert "[invalid_argument]" in dollars and "priced in EUR, not USD" in dollars and "field: currency" in dollars
    assert (at_floor["previous_price_minor"], at_floor["price_minor"], at_floor["discount_pct"]) == (2690, 1614, 40.0)
    assert (product["price_minor"], product["list_price_minor"]) == (1614, 2690)


async def test_a_tighter_max_change_limit_refuses_a_cut_the_default_allows(store: Store) -> None:
    tight = sandbox_backends(store, Limits(price=PriceLimits(max_change_pct=10)))
    async with mcp_session("inventory", tight) as s:
        before = store.state_hash()
        text = await call_error(s, "set_price", price_args(2420))  # 2690 - 10% = 2421
        assert store.state_hash() == before
        changed = await call_ok(s, "set_price", price_args(2421))
    assert "rule: max_price_change" in text and changed["price_minor"] == 2421


# -- promotions -------------------------------------------------------------------------------------------------


async def test_schedule_promotion_starts_today_or_later_and_shows_on_the_product(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        running = await call_ok(s, "schedule_promotion", promo_args(20))
        later = await call_ok(s, "schedule_promotion", next_week(10, sku="ML-000003"))
        product = await call_ok(s, "get_product", {"sku": SKU})
        mine = await call_ok(s, "list_promotions", {"sku": SKU})
        open_ = await call_ok(s, "list_promotions", {"active_only": True, "limit": 1})
        second_page = await call_ok(s, "list_promotions", {"active_only": True, "cursor": open_["next_cursor"]})
    promo = running["promotion"]
    assert (promo["id"], promo["status"], promo["discount_pct"]) == ("PR-000001", "active", 20)
    assert running["previous"] is None and running["undo_token"]
    assert (later["promotion"]["id"], later["promotion"]["status"]) == ("PR-000002", "scheduled")
    assert product["active_promotion"] == promo and product["price_minor"] == 2690
    assert mine["items"] == [promo]
    assert [p["id"] for p in open_["items"] + second_page["items"]] == ["PR-000001", "PR-000002"]
    assert second_page["next_cursor"] is None


async def test_promotions_beyond_the_max_discount_in_the_past_or_overlapping_are_refused(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        existing = (await call_ok(s, "schedule_promotion", promo_args(10)))["promotion"]["id"]
        before = store.state_hash()
        too_deep = await call_error(s, "schedule_promotion", promo_args(41, sku="ML-000003"))
        past = await call_error(s, "schedule_promotion", promo_args(10, sku="ML-000003", starts="2026-03-01"))
        overlap = await call_error(s, "schedule_promotion", promo_args(5, starts="2026-03-08", ends="2026-03-20"))
        assert store.state_hash() == before
        after_it = await call_ok(s, "schedule_promotion", promo_args(5, starts="2026-03-09", ends="2026-03-20"))
    assert "rule: max_discount" in too_deep and "maximum 40%" in too_deep
    assert "[invalid_argument]" in past and "in the past" in past and "field: starts_on" in past
    assert "[conflict]" in overlap and existing in overlap and "end it first" in overlap
    assert after_it["promotion"]["status"] == "scheduled"


async def test_a_promotion_priced_below_cost_plus_margin_is_refused(store: Store) -> None:
    deep = sandbox_backends(store, Limits(price=PriceLimits(max_discount_pct=90)))
    async with mcp_session("inventory", deep) as s:
        before = store.state_hash()
        text = await call_error(s, "schedule_promotion", promo_args(80))  # 2690 × 20% = 538 < 834 × 1.1
        assert store.state_hash() == before
        allowed = await call_ok(s, "schedule_promotion", promo_args(65))  # 941 ≥ 918
    assert "rule: price_floor" in text and "below cost + minimum margin (918)" in text
    assert allowed["promotion"]["discount_pct"] == 65


async def test_a_promotion_cannot_stack_on_a_cut_price_beyond_the_max_discount_off_list(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        await call_ok(s, "set_price", price_args(2152))  # 20% off list
        before = store.state_hash()
        stacked = await call_error(s, "schedule_promotion", promo_args(30))  # 1506: 44% off list
        assert store.state_hash() == before
        within = await call_ok(s, "schedule_promotion", promo_args(25))  # 1614: exactly 40% off list
    assert "rule: max_discount" in stacked and "40% off the list price 2690" in stacked and "1614" in stacked
    assert within["promotion"]["discount_pct"] == 25


async def test_a_price_cut_under_an_open_promotion_keeps_the_promotion_price_above_both_floors(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        await call_ok(s, "schedule_promotion", promo_args(40, sku="ML-000015"))  # 5690 → 3414, cost 1958
        scheduled = (await call_ok(s, "schedule_promotion", promo_args(30, starts="2026-03-20", ends="2026-03-25")))[
            "promotion"
        ]["id"]
        before = store.state_hash()
        under_margin = await call_error(s, "set_price", price_args(3414, sku="ML-000015"))  # 2048 < 2154
        past_discount = await call_error(s, "set_price", price_args(2000))  # 30% off 2000 = 1400 < 1614
        assert store.state_hash() == before
        await call_ok(s, "end_promotion", {"promotion_id": scheduled})
        cut = await call_ok(s, "set_price", price_args(2000))
    assert "rule: price_floor" in under_margin and "field: price_minor" in under_margin
    assert "end_promotion PR-000001" in under_margin
    assert "rule: max_discount" in past_discount and scheduled in past_discount
    assert cut["price_minor"] == 2000


async def test_end_promotion_ends_it_now_and_refuses_to_end_it_twice(store: Store, backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        running = (await call_ok(s, "schedule_promotion", promo_args(20)))["promotion"]
        future = (await call_ok(s, "schedule_promotion", next_week(10, sku="ML-000003")))["promotion"]
        ended = await call_ok(s, "end_promotion", {"promotion_id": running["id"]})
        cancelled = await call_ok(s, "end_promotion", {"promotion_id": future["id"]})
        before = store.state_hash()
        again = await call_error(s, "end_promotion", {"promotion_id": running["id"]})
        assert store.state_hash() == before
        product = await call_ok(s, "get_product", {"sku": SKU})
        still_open = await call_ok(s, "list_promotions", {"active_only": True})
        replaced = await call_ok(s, "schedule_promotion", promo_args(15))
    assert ended["previous"] == running and ended["undo_token"]
    assert (ended["promotion"]["status"], ended["promotion"]["ends_on"]) == ("ended", TODAY)
    assert (cancelled["promotion"]["status"], cancelled["promotion"]["ends_on"]) == ("ended", "2026-03-10")
    assert "[conflict]" in again and "already ended" in again
    assert product["active_promotion"] is None and still_open["items"] == []
    assert replaced["promotion"]["status"] == "active"


async def test_undoing_a_price_rise_that_a_later_promotion_relies_on_is_refused(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("inventory", backends) as s:
        await call_ok(s, "set_price", price_args(3414, sku="ML-000015"))  # list 5690: the 40% floor
        raised = await call_ok(s, "set_price", price_args(5000, sku="ML-000015"))
        promo = (await call_ok(s, "schedule_promotion", promo_args(30, sku="ML-000015")))["promotion"]["id"]
        before = store.state_hash()
        refused = await call_error(s, "undo", {"token": raised["undo_token"]})
        assert store.state_hash() == before
        await call_ok(s, "end_promotion", {"promotion_id": promo})
        undone = await call_ok(s, "undo", {"token": raised["undo_token"]})
    assert (
        "rule: max_discount" in refused
        and "field: token" in refused
        and "(30% off 3414) prices ML-000015 at 2389" in refused
    )
    assert f"end_promotion {promo}" in refused
    assert undone["tool"] == "set_price"
