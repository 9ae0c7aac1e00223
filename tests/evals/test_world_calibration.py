"""Calibration sanity: simulated figures land in the reference ranges of SIMULATION.md §2."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cadencia.evals.world import World, channel_truth, clone_store, ledger_totals
from cadencia.evals.world.response import cpm_season
from cadencia.evals.world.tables import sim_ledger
from cadencia.tools.ads.tables import ad_performance, campaigns
from cadencia.tools.inventory.tables import sales_daily, stock
from cadencia.tools.reviews.tables import reviews
from cadencia.tools.seed import MARKET
from cadencia.tools.store.store import Store

START = date(2026, 3, 2)


@pytest.fixture(scope="module")
def fortnight(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The seeded world, well stocked, after 14 simulated days (shared: these tests only read it)."""
    seeded = Store.open(seeded_sqlite_template, create=False)
    store = clone_store(seeded, tmp_path_factory.mktemp("calibration") / "fortnight.db")
    seeded.close()
    with store.writing() as conn:
        conn.execute(update(stock).values(on_hand=5_000))
    World(store, seed=13).run(14)
    yield store
    store.close()


def test_ads_ctr_and_platform_roas_are_in_benchmark_ranges(fortnight: Store) -> None:
    store = fortnight
    p = ad_performance.c
    with store.reading() as conn:
        rows = conn.execute(
            select(
                campaigns.c.platform,
                func.sum(p.spend_minor),
                func.sum(p.impressions),
                func.sum(p.clicks),
                func.sum(p.revenue_minor),
            )
            .join(campaigns, campaigns.c.id == p.campaign_id)
            .where(p.day >= START.isoformat())
            .group_by(campaigns.c.platform)
        ).all()
    for _, spend, impressions, clicks, revenue in rows:
        assert 0.005 <= clicks / impressions <= 0.03
        assert 1.0 <= revenue / spend <= 6.0  # §2 platform ROAS 1.6–3.8; the seed's TikTok inflation reaches ≈5.3
    assert 1.0 <= sum(r[4] for r in rows) / sum(r[1] for r in rows) <= 5.0
    for truth in channel_truth(store).values():
        assert 1.0 <= truth.incremental_minor / truth.spend_minor <= 3.5


def test_site_conversion_and_order_value_are_in_benchmark_ranges(fortnight: Store) -> None:
    store = fortnight
    with store.reading() as conn:
        sessions, organic = conn.execute(
            select(func.sum(sim_ledger.c.organic_sessions), func.sum(sim_ledger.c.organic_units))
        ).one()
    assert 0.024 <= organic / sessions <= 0.045
    totals = ledger_totals(store)
    assert 4_500 <= totals.revenue_minor / totals.units <= 7_500
    assert 0.62 <= 1 - totals.cogs_minor / totals.revenue_minor <= 0.8


def test_new_reviews_average_about_4_3_stars_at_2_to_5_percent_of_sales(fortnight: Store) -> None:
    store = fortnight
    with store.reading() as conn:
        ratings = conn.execute(select(reviews.c.rating).where(reviews.c.id.startswith("RV-S"))).scalars().all()
        bought = conn.execute(
            select(func.sum(sales_daily.c.units)).where(
                sales_daily.c.day >= (START - timedelta(days=7)).isoformat(),
                sales_daily.c.day < (START + timedelta(days=7)).isoformat(),
            )
        ).scalar_one()
    assert 0.02 <= len(ratings) / bought <= 0.05
    assert sum(ratings) / len(ratings) == pytest.approx(4.3, abs=0.2)


def test_november_cpm_is_23_to_66_percent_above_the_rest_of_the_year(store: Store) -> None:
    first, last, october = date(2026, 11, 2), date(2026, 11, 30), date(2026, 10, 30)
    assert cpm_season(MARKET, first) / MARKET.traffic_season(first) == pytest.approx(1.2448, abs=1e-3)
    assert cpm_season(MARKET, last) / MARKET.traffic_season(last) == pytest.approx(1.66)
    assert cpm_season(MARKET, october) == MARKET.traffic_season(october)
    november = clone_store(store, "sqlite://")
    with november.writing() as conn:
        november.set_world(conn, "today", "2026-11-23")
    World(store, seed=1).step()
    World(november, seed=1).step()

    def cpm(s: Store) -> float:
        with s.reading() as conn:
            spend, impressions = conn.execute(
                select(func.sum(ad_performance.c.spend_minor), func.sum(ad_performance.c.impressions)).where(
                    ad_performance.c.day.in_([START.isoformat(), "2026-11-23"])
                )
            ).one()
        return spend / impressions

    assert 1.23 <= cpm(november) / cpm(store) <= 1.66
