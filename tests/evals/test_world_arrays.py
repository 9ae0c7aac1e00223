"""The array simulator equals its per-SKU reference (tests/helpers/sim_oracle.py) bit for bit, and its pieces equal
their scalar forms: counter streams, Poisson/Binomial/normal quantiles."""

from __future__ import annotations

import math
import random
from statistics import NormalDist

import numpy as np
import pytest
from helpers.sim_oracle import oracle_sales
from sqlalchemy import insert, select

from cadencia.evals.world import (
    CompetitorPriceCut,
    DemandSpike,
    NegativeReviewBurst,
    SupplierDelay,
    ViralPost,
    World,
    clone_store,
)
from cadencia.evals.world.counters import CounterStream, entity_keys, stream_key, uniforms
from cadencia.evals.world.draws import binomial_at, poisson_at
from cadencia.evals.world.quantiles import binomial_quantiles, normal_quantiles, poisson_quantiles
from cadencia.evals.world.sales import simulate_sales
from cadencia.evals.world.tables import sim_campaign_days, sim_ledger, sim_skus
from cadencia.evals.world.world import Shop
from cadencia.tools.inventory.tables import promotions, sales_daily, stock
from cadencia.tools.reviews.tables import reviews
from cadencia.tools.store.store import Store

DAYS = 24


def _rows(store: Store) -> dict[str, list[tuple[object, ...]]]:
    tables = (stock, sales_daily, reviews, sim_skus, sim_ledger, sim_campaign_days, promotions)
    with store.reading() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))] for t in tables}


def _eventful(store: Store, shop: Shop) -> World:
    """A world whose days exercise every path: promotions (debt), spikes, price cuts, review bursts, stockouts."""
    with store.writing() as conn:
        conn.execute(
            insert(promotions).values(
                id="PR-EQ1",
                sku="ML-000003",
                discount_pct=25,
                starts_on="2026-03-03",
                ends_on="2026-03-07",
                status="scheduled",
                label="-25%",
            )
        )
    world = World(store, seed=11, shop=shop)
    world.apply_event(DemandSpike(category="makeup", multiplier=3, days=6))
    world.apply_event(ViralPost(sku="ML-000007", multiplier=8.0, days=5))
    world.apply_event(CompetitorPriceCut(category="skincare", pct=20, days=4))
    world.apply_event(NegativeReviewBurst(sku="ML-000002", count=4))
    world.apply_event(SupplierDelay(sku="ML-000004", extra_days=5))
    return world


def test_array_simulator_writes_exactly_what_the_per_sku_reference_writes(store: Store) -> None:
    reference = clone_store(store, "sqlite://")
    arrays_world, reference_world = _eventful(store, simulate_sales), _eventful(reference, oracle_sales)
    days = arrays_world.run(DAYS)
    expected = reference_world.run(DAYS)
    assert days == expected
    assert _rows(store) == _rows(reference)
    assert sum(d.lost_units for d in days) > 0 and sum(d.new_reviews for d in days) > 0
    assert any(d.stockouts for d in days)


def test_counter_stream_reads_the_same_uniforms_one_at_a_time() -> None:
    key = stream_key(7, "sim", "2026-03-02", "shop")
    names = [f"ML-{i:06d}" for i in range(50)]
    table = uniforms(key, entity_keys(names), 0, 6)
    for row, entity in zip(table, entity_keys(names).tolist(), strict=True):
        stream = CounterStream(key, entity)
        assert [stream.random() for _ in range(6)] == row.tolist()
    later = uniforms(key, entity_keys(names), 4, 2)
    assert np.array_equal(later, table[:, 4:6])
    assert 0.45 < table.mean() < 0.55 and table.min() >= 0 and table.max() < 1
    assert not np.array_equal(uniforms(stream_key(8, "sim", "2026-03-02", "shop"), entity_keys(names), 0, 6), table)


def test_counter_choices_pick_like_random_choices() -> None:
    stream, weights = CounterStream(1, 2), [56, 29, 8, 3, 4]
    picks = [stream.choices([5, 4, 3, 2, 1], weights=weights)[0] for _ in range(20_000)]
    assert abs(picks.count(5) / len(picks) - 0.56) < 0.02 and abs(picks.count(1) / len(picks) - 0.04) < 0.01


@pytest.fixture
def draws() -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(3)
    u = np.array([rng.random() for _ in range(20_000)] + [0.0, 1e-15, 1 - 1e-15, 0.5, 0.075, 0.925])
    means = np.array([rng.choice([0.0, -1.0, 0.3, 2.5, 12.0, 29.9, 30.1, 45.0, 900.0]) * rng.random() * 1.2 for _ in u])
    return u, means


def test_normal_quantiles_equal_the_standard_library() -> None:
    rng = random.Random(5)
    u = np.array([rng.random() for _ in range(20_000)] + [1e-12, 1 - 1e-12, 1e-300, 0.075, 0.925, 0.5])
    mu, sigma = np.full(len(u), 3.5), np.full(len(u), 2.0)
    expected = [NormalDist(3.5, 2.0).inv_cdf(x) for x in u.tolist()]
    assert normal_quantiles(u, mu, sigma).tolist() == expected


def test_poisson_quantiles_equal_the_scalar_draws(draws: tuple[np.ndarray, np.ndarray]) -> None:
    u, means = draws
    assert poisson_quantiles(u, means).tolist() == [
        poisson_at(x, m) for x, m in zip(u.tolist(), means.tolist(), strict=True)
    ]


def test_binomial_quantiles_equal_the_scalar_draws(draws: tuple[np.ndarray, np.ndarray]) -> None:
    u, means = draws
    n = np.abs(np.rint(means * 40)).astype(np.int64)
    probabilities = np.array([math.fmod(m, 1.0) if m > 0 else m for m in means.tolist()])
    probabilities[::97] = 1.0
    expected = [binomial_at(x, k, q) for x, k, q in zip(u.tolist(), n.tolist(), probabilities.tolist(), strict=True)]
    assert binomial_quantiles(u, n, probabilities).tolist() == expected
