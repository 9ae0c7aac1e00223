"""Reading the catalog a batch of SKUs at a time: products, shelves, live discounts, review statistics.

Statements are built once with bind parameters: rebuilding them every day cost more than running them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, String, bindparam, func, select

from cadencia.evals.world import params as p
from cadencia.evals.world.response import review_multiplier
from cadencia.evals.world.tables import sim_product_truth
from cadencia.tools.inventory.sandbox import OPEN_PROMOTION
from cadencia.tools.inventory.tables import products, promotions, stock
from cadencia.tools.reviews.tables import review_replies, reviews

_pc, _pr, _sc, _rc, _tc = products.c, promotions.c, stock.c, reviews.c, sim_product_truth.c
LO, HI, DAY = (bindparam(name, type_=String()) for name in ("lo", "hi", "day"))
WITH_TRUTH = products.join(sim_product_truth, _tc.sku == _pc.sku)

CATEGORY_SUMS = (
    select(_pc.category, func.sum(_tc.base_daily_demand), func.sum(_tc.base_daily_demand * _pc.price_minor))
    .select_from(WITH_TRUTH)
    .where(_pc.status == "active")
    .group_by(_pc.category)
)
PAGE = (
    select(
        _pc.sku,
        _pc.category,
        _pc.status,
        _pc.price_minor,
        _pc.list_price_minor,
        _pc.cost_minor,
        _tc.elasticity,
        _tc.base_daily_demand,
    )
    .select_from(WITH_TRUTH)
    .where(_pc.sku > bindparam("after"))
    .order_by(_pc.sku)
    .limit(p.BATCH)
)
SHELVES = (
    select(_sc.sku, _sc.warehouse_id, _sc.on_hand, _sc.reserved)
    .where(_sc.sku.between(LO, HI))
    .order_by(_sc.sku, _sc.warehouse_id)
)
DISCOUNTS = (
    select(_pr.sku, func.max(_pr.discount_pct))
    .where(_pr.sku.between(LO, HI), _pr.status.in_(OPEN_PROMOTION), _pr.starts_on <= DAY, _pr.ends_on >= DAY)
    .group_by(_pr.sku)
)
REVIEW_STATS = (
    select(_rc.sku, func.count(), func.avg(_rc.rating), func.count(review_replies.c.review_id))
    .select_from(reviews.outerjoin(review_replies, review_replies.c.review_id == _rc.id))
    .where(_rc.sku.between(LO, HI))
    .group_by(_rc.sku)
)


@dataclass(frozen=True)
class Catalog:
    value: float
    """Σ base demand × price over active SKUs: the share key of catalog-wide ads."""
    base_by_category: Mapping[str, float]
    """Σ base demand per category, and over all categories under ""."""


@dataclass(frozen=True)
class BatchFacts:
    """What the shop knows about a batch of SKUs as the day starts."""

    shelves: dict[str, list[list[Any]]]
    """Per SKU, [warehouse_id, on_hand, reserved] lists (mutated as units are picked)."""
    discounts: Mapping[str, int]
    review_effect: Mapping[str, float]
    replied: frozenset[str]


def catalog_totals(conn: Connection) -> Catalog:
    sums = conn.execute(CATEGORY_SUMS).all()
    by_category = {cat: float(base) for cat, base, _ in sums}
    return Catalog(sum(float(value) for _, _, value in sums), by_category | {"": sum(by_category.values())})


def product_pages(conn: Connection) -> Iterator[Sequence[Row[Any]]]:
    """Yield the catalog BATCH products at a time, in SKU order (keyset pagination), as rows of PAGE's columns."""
    rows = conn.execute(PAGE, {"after": ""}).all()
    while rows:
        yield rows
        more = len(rows) == p.BATCH
        rows = conn.execute(PAGE, {"after": rows[-1][0]}).all() if more else []


def batch_facts(conn: Connection, day: date, skus: Sequence[str]) -> BatchFacts:
    """Shelves, today's deepest live discount and the review effect of the SKUs `skus` (sorted, contiguous)."""
    span = {"lo": skus[0], "hi": skus[-1]}
    shelves: dict[str, list[list[Any]]] = {}
    for sku, warehouse, on_hand, reserved in conn.execute(SHELVES, span).all():
        shelves.setdefault(sku, []).append([warehouse, on_hand, reserved])
    discounts = dict(conn.execute(DISCOUNTS, span | {"day": day.isoformat()}).all())
    stats = conn.execute(REVIEW_STATS, span).all()
    rated = {sku: review_multiplier(n, float(mean)) for sku, n, mean, _ in stats}
    unrated = review_multiplier(0, 0.0)
    return BatchFacts(
        shelves=shelves,
        discounts=discounts,
        review_effect={sku: rated.get(sku, unrated) for sku in skus},
        replied=frozenset(sku for sku, _, _, replies in stats if replies > 0),
    )
