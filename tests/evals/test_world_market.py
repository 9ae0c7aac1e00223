"""Market response, checked on same-seed counterfactual pairs: promotions, prices, saturation, attribution, truth."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select, update

from cadencia.evals.world import World, channel_truth, clone_store, ledger_totals, open_truth
from cadencia.evals.world.tables import sim_campaign_days, sim_campaign_truth, sim_product_truth
from cadencia.tools.ads.tables import ad_performance, campaigns
from cadencia.tools.inventory.tables import products, promotions, sales_daily, stock
from cadencia.tools.store.store import Store

START = "2026-03-02"
product_truth, campaign_truth = sim_product_truth.c, sim_campaign_truth.c


def _restocked(store: Store) -> Store:
    """The seeded world (with its market's truth) and every SKU well stocked, so stockouts do not blur the effect."""
    open_truth(store)
    with store.writing() as conn:
        conn.execute(update(stock).values(on_hand=5_000))
    return store


def _units(store: Store, *, sku: str | None = None, first: str = START, last: str = "9999") -> int:
    where = [sales_daily.c.day >= first, sales_daily.c.day <= last]
    if sku is not None:
        where.append(sales_daily.c.sku == sku)
    with store.reading() as conn:
        return int(conn.execute(select(func.sum(sales_daily.c.units)).where(*where)).scalar() or 0)


def _campaign_sum(store: Store, campaign_id: str, column: str, since: str) -> int:
    c = sim_campaign_days.c
    with store.reading() as conn:
        return int(
            conn.execute(select(func.sum(c[column])).where(c.campaign_id == campaign_id, c.day >= since)).scalar_one()
        )


def test_promotion_lifts_units_then_dips_after_it_ends(store: Store) -> None:
    base = _restocked(store)
    with base.reading() as conn:
        sku = conn.execute(select(product_truth.sku).order_by(product_truth.base_daily_demand.desc())).scalar()
    promo = clone_store(base, "sqlite://")
    with promo.writing() as conn:
        conn.execute(
            insert(promotions).values(
                id="PR-T1",
                sku=sku,
                discount_pct=30,
                starts_on=START,
                ends_on="2026-03-08",
                status="scheduled",
                label="Spring -30%",
            )
        )
    World(base, seed=3).run(21)
    World(promo, seed=3).run(21)
    during = (_units(base, sku=sku, last="2026-03-08"), _units(promo, sku=sku, last="2026-03-08"))
    after = (_units(base, sku=sku, first="2026-03-09"), _units(promo, sku=sku, first="2026-03-09"))
    assert during[1] > 1.6 * during[0]
    assert after[1] < after[0]
    with promo.reading() as conn:
        assert conn.execute(select(promotions.c.status)).scalar() == "ended"
    assert ledger_totals(promo).discounts_minor > 0 == ledger_totals(base).discounts_minor


def test_price_increase_lowers_units(store: Store) -> None:
    base = _restocked(store)
    dearer = clone_store(base, "sqlite://")
    with dearer.writing() as conn:
        conn.execute(update(products).values(price_minor=products.c.price_minor * 6 // 5))
    World(base, seed=4).run(7)
    World(dearer, seed=4).run(7)
    assert _units(dearer) < 0.85 * _units(base)


def test_doubling_budget_of_saturated_campaign_adds_far_less_than_double(store: Store) -> None:
    base = _restocked(store)
    with base.reading() as conn:
        budget = conn.execute(select(campaigns.c.daily_budget_minor).where(campaigns.c.id == "CMP-GO001")).scalar_one()
        saturation = conn.execute(
            select(campaign_truth.saturation_minor).where(campaign_truth.campaign_id == "CMP-GO001")
        ).scalar_one()
    assert saturation < budget
    doubled = clone_store(base, "sqlite://")
    with doubled.writing() as conn:
        conn.execute(update(campaigns).where(campaigns.c.id == "CMP-GO001").values(daily_budget_minor=2 * budget))
    World(base, seed=5).run(14)
    World(doubled, seed=5).run(14)
    since = "2026-03-09"
    spend_ratio = _campaign_sum(doubled, "CMP-GO001", "spend_minor", since) / _campaign_sum(
        base, "CMP-GO001", "spend_minor", since
    )
    true_ratio = _campaign_sum(doubled, "CMP-GO001", "incremental_minor", since) / _campaign_sum(
        base, "CMP-GO001", "incremental_minor", since
    )
    assert spend_ratio > 1.9
    assert true_ratio < 1.4


def test_platform_attributed_roas_exceeds_true_incremental_roas(store: Store) -> None:
    World(_restocked(store), seed=6).run(10)
    truth = channel_truth(store)
    assert set(truth) == {"google", "meta", "tiktok"}
    for channel in truth.values():
        assert channel.attributed_minor > channel.incremental_minor > 0


def test_counterfactual_revenue_difference_matches_ledger_true_incremental(store: Store) -> None:
    base = _restocked(store)
    dark = clone_store(base, "sqlite://")
    with dark.writing() as conn:
        conn.execute(update(campaigns).values(status="paused"))
    World(base, seed=4).run(21)
    World(dark, seed=4).run(21)
    measured = ledger_totals(base).revenue_minor - ledger_totals(dark).revenue_minor
    claimed = sum(c.incremental_minor for c in channel_truth(base).values()) - sum(
        c.incremental_minor for c in channel_truth(dark).values()
    )
    assert abs(measured / claimed - 1) < 0.1


def test_holdout_lift_recovers_true_incremental_conversions(store: Store) -> None:
    World(_restocked(store), seed=7).run(14)
    p = ad_performance.c
    with store.reading() as conn:
        exposed, conversions, holdout, holdout_conv = conn.execute(
            select(
                func.sum(p.exposed_users),
                func.sum(p.conversions),
                func.sum(p.holdout_users),
                func.sum(p.holdout_conversions),
            ).where(p.day >= START, p.exposed_users > 0)
        ).one()
        held = conn.execute(select(campaigns.c.id).where(campaigns.c.holdout_pct > 0)).scalars().all()
    lift = conversions - holdout_conv / holdout * exposed
    true_orders = sum(_campaign_sum(store, cid, "direct_minor", START) for cid in held) / 5_500
    assert 0.6 < lift / true_orders < 1.4
    assert date.fromisoformat(START)
