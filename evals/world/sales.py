"""The shop's day over the whole catalog, in SKU batches on arrays: demand, sales, stock depletion, substitution,
reviews. Per-SKU Python runs only where something happens to that SKU (a sale to pick, a substitute, a review)."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, func, insert, select, update

from cadencia.evals.world import params as p
from cadencia.evals.world.bulk import execute_rows
from cadencia.evals.world.catalog import Catalog, batch_facts, catalog_totals, product_pages
from cadencia.evals.world.counters import CounterStream, entity_key, entity_keys, stream_key, uniforms
from cadencia.evals.world.demand import DRAWS, SkuDayInputs, SkuDays, simulate_skus
from cadencia.evals.world.effects import Effects
from cadencia.evals.world.quantiles import binomial_quantiles
from cadencia.evals.world.reviewing import review_rows
from cadencia.evals.world.skustate import StateArrays, load_state_arrays, save_state_arrays, save_states
from cadencia.evals.world.tables import sim_skus
from cadencia.tools.inventory.tables import products, sales_daily, stock
from cadencia.tools.reviews.tables import reviews

PICK = (
    update(stock)
    .where(stock.c.sku == bindparam("b_sku"), stock.c.warehouse_id == bindparam("b_wh"))
    .values(on_hand=bindparam("b_on_hand"))
)
SALES_COLUMNS = ("sku", "day", "units", "revenue_minor", "lost_units")


@dataclass(frozen=True)
class Drivers:
    """The day-level forces on demand, computed before the shop opens."""

    traffic: float
    """Weekly season × brand awareness multiplier."""
    effects: Effects
    ads_by_sku: Mapping[str, float]
    ads_general: float
    orders_by_category: Mapping[str, int]


@dataclass
class SalesDay:
    """Totals over the catalog (filled batch by batch)."""

    units: int = 0
    lost_units: int = 0
    gross_minor: int = 0
    discounts_minor: int = 0
    cogs_minor: int = 0
    holding_minor: float = 0.0
    organic_sessions: int = 0
    organic_units: int = 0
    new_reviews: int = 0
    organic_revenue: float = 0.0
    """Expected net revenue from organic shoppers (in-stock SKUs), the base of the brand halo."""
    general_realization: float = 0.0
    realization: dict[str, float] = field(default_factory=dict)
    stockouts: list[str] = field(default_factory=list)
    cover_total: float = 0.0
    covered_skus: int = 0


def simulate_sales(conn: Connection, seed: int, day: date, drivers: Drivers) -> SalesDay:
    """Run the shop for `day` over every product, BATCH SKUs at a time."""
    catalog = catalog_totals(conn)
    totals = SalesDay()
    key = stream_key(seed, "sim", day.isoformat(), "shop")
    for rows in product_pages(conn):
        _batch(conn, key, day, drivers, catalog, rows, totals)
    return totals


def prime_skus(conn: Connection, day: date) -> None:
    """Give SKUs without state their starting state (sales history, review effect now), before any event lands."""
    from cadencia.evals.world.skustate import load_states

    known = conn.execute(select(func.count()).select_from(sim_skus)).scalar()
    if known == conn.execute(select(func.count()).select_from(products)).scalar():
        return
    for rows in product_pages(conn):
        skus = [r[0] for r in rows]
        states = load_states(conn, day, skus, batch_facts(conn, day, skus).review_effect)
        save_states(conn, {sku: state for sku, state in states.items() if not state.stored})


def _running(total: float, values: np.ndarray) -> float:
    """`total` plus `values` one after another (the same float as a loop adding them in order)."""
    for value in values.tolist():
        total += value
    return total


@dataclass(frozen=True)
class _Batch:
    """A page of products as columns."""

    skus: list[str]
    category: np.ndarray
    active: np.ndarray
    price: np.ndarray
    list_price: np.ndarray
    cost: np.ndarray
    elasticity: np.ndarray
    base: np.ndarray


def _columns(rows: Sequence[Sequence[Any]]) -> _Batch:
    sku, category, status, price, list_price, cost, elasticity, base = zip(*rows, strict=True)
    return _Batch(
        skus=list(sku),
        category=np.array(category, dtype=object),
        active=np.array(status, dtype=object) == "active",
        price=np.array(price, dtype=np.int64),
        list_price=np.array(list_price, dtype=np.int64),
        cost=np.array(cost, dtype=np.int64),
        elasticity=np.array(elasticity, dtype=np.float64),
        base=np.array(base, dtype=np.float64),
    )


def _by_category(category: np.ndarray, values: Mapping[str, float], default: float) -> np.ndarray:
    """Per-SKU value of a per-category mapping."""
    out = np.full(len(category), default, dtype=np.float64)
    for name, value in values.items():
        out[category == name] = value
    return out


def _paid_units(batch: _Batch, drivers: Drivers, catalog: Catalog) -> np.ndarray:
    """Units ads and messages send to each SKU at baseline conversion (ads are cents at shelf price)."""
    units = np.zeros(len(batch.skus))
    index = {sku: i for i, sku in enumerate(batch.skus)} if drivers.ads_by_sku else {}
    for sku, spend in drivers.ads_by_sku.items():
        i = index.get(sku)
        if i is not None and batch.price[i] > 0:
            units[i] = spend / int(batch.price[i])
    if catalog.value > 0:
        units = units + drivers.ads_general * batch.base / catalog.value
    for category, orders in drivers.orders_by_category.items():
        base = catalog.base_by_category.get(category)
        if orders and base:
            share = orders * batch.base / base
            units = units + (np.where(batch.category == category, share, 0.0) if category else share)
    return np.where(batch.active, units, 0.0)


def _substitute(batch: _Batch, out: SkuDays, sellable: np.ndarray, sold: np.ndarray, lost: np.ndarray) -> None:
    """Shoppers who switch buy the same-category SKU with the most stock left; if none has any, the sale is lost.

    A SKU that sends substitutes sold out, so it is never its own sibling.
    """
    senders = np.flatnonzero(out.substitute > 0)
    if not len(senders):
        return
    wanted_in = set(batch.category[senders].tolist())
    spare = sellable - sold
    heaps: dict[str, list[tuple[int, str, int]]] = {}
    for i in np.flatnonzero(batch.active & (spare > 0)).tolist():
        category = batch.category[i]
        if category in wanted_in:
            heaps.setdefault(category, []).append((-int(spare[i]), batch.skus[i], i))
    for heap in heaps.values():
        heapq.heapify(heap)
    for i in senders.tolist():
        wanted, heap = int(out.substitute[i]), heaps.get(batch.category[i], [])
        while wanted > 0 and heap:
            minus, sibling, j = heapq.heappop(heap)
            take = min(wanted, -minus)
            sold[j] += take
            wanted -= take
            if -minus > take:
                heapq.heappush(heap, (minus + take, sibling, j))
        lost[i] += wanted


def _picks(shelves: Mapping[str, list[list[Any]]], skus: list[str], sold: np.ndarray) -> list[tuple[Any, ...]]:
    """Stock rows after picking each SKU's sales from the warehouses with the most sellable stock first."""
    updates: list[tuple[Any, ...]] = []
    for i in np.flatnonzero(sold > 0).tolist():
        sku, units = skus[i], int(sold[i])
        for place in sorted(shelves.get(sku, ()), key=lambda s: (-(s[1] - s[2]), s[0])):
            take = min(units, max(0, place[1] - place[2]))
            if take > 0:
                place[1] -= take
                units -= take
                updates.append((sku, place[0], place[1]))
    return updates


def _batch(
    conn: Connection,
    key: int,
    day: date,
    drivers: Drivers,
    catalog: Catalog,
    rows: Sequence[Sequence[Any]],
    totals: SalesDay,
) -> None:
    iso = day.isoformat()
    batch = _columns(rows)
    skus = batch.skus
    facts = batch_facts(conn, day, skus)
    shelves = facts.shelves
    states: StateArrays = load_state_arrays(conn, day, skus, facts.review_effect)
    held = [shelves.get(sku, ()) for sku in skus]
    sellable = np.fromiter((sum(max(0, h - k) for _, h, k in s) for s in held), dtype=np.int64, count=len(skus))
    on_hand = np.fromiter((sum(h for _, h, _ in s) for s in held), dtype=np.int64, count=len(skus))
    discount = np.fromiter((facts.discounts.get(sku, 0) for sku in skus), dtype=np.int64, count=len(skus))
    review_effect = np.fromiter((facts.review_effect[sku] for sku in skus), dtype=np.float64, count=len(skus))
    traffic_sku = np.ones(len(skus))
    if drivers.effects.traffic_sku:
        for i, sku in enumerate(skus):
            traffic_sku[i] = drivers.effects.traffic_sku.get(sku, 1.0)
    sku_traffic = traffic_sku * _by_category(batch.category, drivers.effects.traffic_category, 1.0)
    conversion = (
        review_effect / states.review_ref * _by_category(batch.category, drivers.effects.conversion_category, 1.0)
    )
    entities = entity_keys(skus)
    out = simulate_skus(
        SkuDayInputs(
            price=batch.price,
            list_price=batch.list_price,
            elasticity=batch.elasticity,
            base_daily_demand=np.where(batch.active, batch.base, 0.0),
            discount_pct=discount,
            traffic=drivers.traffic * sku_traffic,
            conversion=conversion,
            paid_units=_paid_units(batch, drivers, catalog),
            sellable=sellable,
            backlog=states.backlog,
            debt=states.debt,
            debt_rate=states.debt_rate,
        ),
        uniforms(key, entities, 0, DRAWS),
    )
    sold, lost = out.sold.copy(), out.lost.copy()
    _substitute(batch, out, sellable, sold, lost)
    stock_updates = _picks(shelves, skus, sold)
    net_price = batch.price - np.rint(batch.price * discount / 100).astype(np.int64)
    left = sellable - sold
    totals.units += int(sold.sum())
    totals.lost_units += int(lost.sum())
    totals.gross_minor += int((sold * batch.price).sum())
    totals.discounts_minor += int((sold * (batch.price - net_price)).sum())
    totals.cogs_minor += int((sold * batch.cost).sum())
    totals.holding_minor = _running(totals.holding_minor, (on_hand - sold) * batch.cost * p.HOLDING_RATE)
    totals.organic_sessions += int(out.organic_sessions.sum())
    totals.organic_units += int(out.organic_units.sum())
    totals.organic_revenue = _running(totals.organic_revenue, out.expected_organic * net_price)
    for i, sku in enumerate(skus) if drivers.ads_by_sku else ():
        if sku in drivers.ads_by_sku:
            totals.realization[sku] = float(out.realization[i])
    active = batch.active
    if catalog.value > 0:
        share = batch.base * batch.price * out.realization / catalog.value
        totals.general_realization = _running(totals.general_realization, share[active])
    totals.stockouts += [skus[i] for i in np.flatnonzero(active & (left == 0)).tolist()]
    covered = active & (out.expected_units > 0)
    cover = np.minimum(365.0, left[covered] / out.expected_units[covered])
    totals.cover_total = _running(totals.cover_total, cover)
    totals.covered_skus += int(covered.sum())
    new_reviews = _reviews(key, day, batch, states, facts.replied, entities, totals.new_reviews + 1)
    totals.new_reviews += len(new_reviews)
    sales_rows = zip(skus, [iso] * len(skus), sold.tolist(), (sold * net_price).tolist(), lost.tolist(), strict=True)
    execute_rows(conn, insert(sales_daily), SALES_COLUMNS, list(sales_rows))
    execute_rows(conn, PICK, ("b_sku", "b_wh", "b_on_hand"), stock_updates)
    if new_reviews:
        execute_rows(conn, insert(reviews), tuple(new_reviews[0]), [tuple(r.values()) for r in new_reviews])
    save_state_arrays(conn, states.advanced(iso, sold, out))


def _reviews(
    key: int,
    day: date,
    batch: _Batch,
    states: StateArrays,
    replied: frozenset[str],
    entities: np.ndarray,
    first_n: int,
) -> list[dict[str, Any]]:
    """New reviews of active SKUs ~ Binomial(units sold 7 days ago, 3.5%): the count from uniform DRAWS of each
    SKU's stream, then each review's stars, language and text from the uniforms after it."""
    week_ago = states.recent_units[:, 0]
    candidates = np.flatnonzero(batch.active & (week_ago > 0))
    if not len(candidates):
        return []
    counts = binomial_quantiles(
        uniforms(key, entities[candidates], DRAWS, 1)[:, 0],
        week_ago[candidates],
        np.full(len(candidates), p.REVIEW_RATE),
    )
    window = (day - timedelta(days=p.STOCKOUT_WINDOW)).isoformat()
    rows: list[dict[str, Any]] = []
    for i, count in zip(candidates.tolist(), counts.tolist(), strict=True):
        if count == 0:
            continue
        sku = batch.skus[i]
        last = states.last_stockout[i]
        rng = CounterStream(key, entity_key(sku), DRAWS + 1)
        rows += review_rows(
            day, sku, rng, count, last is not None and last >= window, sku in replied, first_n + len(rows)
        )
    return rows
