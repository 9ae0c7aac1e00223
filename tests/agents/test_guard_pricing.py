"""price_floor, max_discount and stock_aware_promotion."""

from __future__ import annotations

from helpers.guard import act, assess, facts, fired, goal, one_rule

from cadencia.agents.actions import Decision, ProposedAction

FLOOR = one_rule("price_floor", "clamp")
DISCOUNT = one_rule("max_discount", "clamp")
STOCK = one_rule("stock_aware_promotion")


def _price(price: int, sku: str = "SERUM", currency: str = "EUR") -> ProposedAction:
    return act("inventory_set_price", sku=sku, price_minor=price, currency=currency)


def _promo(pct: int, sku: str = "SERUM") -> ProposedAction:
    return act("inventory_schedule_promotion", sku=sku, discount_pct=pct, label="Glow week", starts_on="2025-03-01")


async def test_price_at_or_above_cost_plus_margin_is_allowed() -> None:
    assert (await assess(FLOOR, _price(1_150))).decision is Decision.ALLOW


async def test_price_below_cost_plus_margin_is_clamped_up_to_the_floor_or_denied() -> None:
    result = await assess(FLOOR, _price(900))
    assert result.decision is Decision.CLAMP and result.effective_args["price_minor"] == 1_150
    assert fired(await assess(one_rule("price_floor"), _price(900))) == {"r1": Decision.DENY}
    stricter = await assess(FLOOR, _price(1_300), the_goal=goal(min_margin_pct=40))
    assert stricter.effective_args["price_minor"] == 1_400


async def test_price_in_another_currency_or_for_an_unknown_product_does_not_pass() -> None:
    assert fired(await assess(FLOOR, _price(3_000, currency="USD"))) == {"r1": Decision.DENY}
    assert fired(await assess(FLOOR, _price(3_000, sku="NOPE"))) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_promotion_below_the_margin_floor_is_clamped_to_the_deepest_safe_discount() -> None:
    assert (await assess(FLOOR, _promo(60))).decision is Decision.ALLOW
    result = await assess(FLOOR, _promo(70))
    assert result.decision is Decision.CLAMP and result.effective_args["discount_pct"] == 61


async def test_discount_beyond_the_maximum_is_clamped_to_it() -> None:
    assert (await assess(DISCOUNT, _promo(20, sku="CREAM"))).decision is Decision.ALLOW
    result = await assess(DISCOUNT, _promo(30, sku="CREAM"))
    assert result.decision is Decision.CLAMP and result.effective_args["discount_pct"] == 25


async def test_discount_is_measured_against_the_list_price() -> None:
    assert (await assess(DISCOUNT, _price(2_625))).decision is Decision.ALLOW
    below = await assess(DISCOUNT, _price(2_000))
    assert below.decision is Decision.CLAMP and below.effective_args["price_minor"] == 2_625
    stacked = await assess(DISCOUNT, _promo(20))
    assert stacked.decision is Decision.CLAMP and stacked.effective_args["discount_pct"] == 12


async def test_promoting_a_sku_below_the_stock_cover_floor_is_denied() -> None:
    assert (await assess(STOCK, _promo(10))).decision is Decision.ALLOW
    assert fired(await assess(STOCK, _promo(10, sku="CREAM"))) == {"r1": Decision.DENY}


async def test_advertising_a_sku_below_the_stock_cover_floor_is_denied() -> None:
    raise_meta = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=12_000)
    assert (await assess(STOCK, raise_meta)).decision is Decision.ALLOW
    assert fired(await assess(STOCK, raise_meta, the_goal=goal(stock_cover_floor_days=45))) == {"r1": Decision.DENY}
    tightened = one_rule("stock_aware_promotion", stock_cover_floor_days=45)
    assert fired(await assess(tightened, raise_meta)) == {"r1": Decision.DENY}
    assert fired(await assess(STOCK, act("ads_resume_campaign", campaign_id="CMP-TT"))) == {"r1": Decision.DENY}
    create = act("ads_create_campaign", platform="meta", daily_budget_minor=1_000, currency="EUR", sku="CREAM")
    assert fired(await assess(STOCK, create)) == {"r1": Decision.DENY}


async def test_cutting_spend_or_advertising_no_sku_ignores_stock_cover() -> None:
    cut = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=8_000)
    assert (await assess(STOCK, cut, the_goal=goal(stock_cover_floor_days=45))).decision is Decision.ALLOW
    brand = act("ads_set_budget", campaign_id="CMP-GOOG", daily_budget_minor=25_000)
    assert (await assess(STOCK, brand, the_goal=goal(stock_cover_floor_days=45))).decision is Decision.ALLOW


async def test_unknown_stock_cover_needs_approval() -> None:
    result = await assess(STOCK, _promo(10), the_facts=facts(stock_cover_days={}))
    assert fired(result) == {"r1": Decision.REQUIRE_APPROVAL}
