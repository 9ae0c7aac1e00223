"""The shop's day over the whole catalog, in SKU batches: demand, sales, stock depletion, substitution, reviews."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, insert, select, update

from cadencia.evals.world import params as p
from cadencia.evals.world.bulk import execute_many
from cadencia.evals.world.catalog import Catalog, batch_facts, catalog_totals, product_pages
from cadencia.evals.world.demand import SkuDay, SkuDayInput, simulate_sku
from cadencia.evals.world.effects import Effects
from cadencia.evals.world.reviewing import ReviewSource, write_reviews
from cadencia.evals.world.skustate import load_states, save_states
from cadencia.evals.world.tables import sim_skus
from cadencia.tools.inventory.tables import products, sales_daily, stock
from cadencia.tools.reviews.tables import reviews
from cadencia.tools.seed.rand import stream

PICK = (
    update(stock)
    .where(stock.c.sku == bindparam("b_sku"), stock.c.warehouse_id == bindparam("b_wh"))
    .values(on_hand=bindparam("b_on_hand"))
)


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
    for rows in product_pages(conn):
        _batch(conn, seed, day, drivers, catalog, rows, totals)
    return totals


def prime_skus(conn: Connection, day: date) -> None:
    """Give SKUs without state their starting state (sales history, review effect now), before any event lands."""
    known = conn.execute(select(func.count()).select_from(sim_skus)).scalar()
    if known == conn.execute(select(func.count()).select_from(products)).scalar():
        return
    for rows in product_pages(conn):
        skus = [r["sku"] for r in rows]
        states = load_states(conn, day, skus, batch_facts(conn, day, skus).review_effect)
        save_states(conn, {sku: state for sku, state in states.items() if not state.stored})


def _paid_units(row: RowMapping, drivers: Drivers, catalog: Catalog) -> float:
    """Units ads and messages send to this SKU at baseline conversion (ads are cents at shelf price)."""
    base, price = row["base_daily_demand"], row["price_minor"]
    units = drivers.ads_by_sku.get(row["sku"], 0.0) / price if price > 0 else 0.0
    if catalog.value > 0:
        units += drivers.ads_general * base / catalog.value
    for category in (row["category"], ""):
        orders = drivers.orders_by_category.get(category, 0)
        if orders and catalog.base_by_category.get(category):
            units += orders * base / catalog.base_by_category[category]
    return units


def _batch(
    conn: Connection,
    seed: int,
    day: date,
    drivers: Drivers,
    catalog: Catalog,
    rows: Sequence[RowMapping],
    totals: SalesDay,
) -> None:
    iso = day.isoformat()
    skus = [r["sku"] for r in rows]
    facts = batch_facts(conn, day, skus)
    shelves = facts.shelves
    states = load_states(conn, day, skus, facts.review_effect)
    outcomes: dict[str, SkuDay] = {}
    rngs = {sku: stream(seed, "sim", iso, "shop", sku) for sku in skus}
    sellable = {sku: sum(max(0, held - kept) for _, held, kept in shelves.get(sku, ())) for sku in skus}
    for row in rows:
        sku, state = row["sku"], states[row["sku"]]
        live = row["status"] == "active"
        outcomes[sku] = simulate_sku(
            SkuDayInput(
                price=row["price_minor"],
                list_price=row["list_price_minor"],
                elasticity=row["elasticity"],
                base_daily_demand=row["base_daily_demand"] if live else 0.0,
                discount_pct=facts.discounts.get(sku, 0),
                traffic=drivers.traffic * drivers.effects.traffic(sku, row["category"]),
                conversion=facts.review_effect[sku] / state.review_ref * drivers.effects.conversion(row["category"]),
                paid_units=_paid_units(row, drivers, catalog) if live else 0.0,
                sellable=sellable[sku],
                backlog=state.backlog,
                debt=state.debt,
                debt_rate=state.debt_rate,
            ),
            rngs[sku],
        )
    sold = {sku: o.sold for sku, o in outcomes.items()}
    lost = {sku: o.lost for sku, o in outcomes.items()}
    _substitute(rows, outcomes, sellable, sold, lost)
    stock_updates: list[dict[str, Any]] = []
    sales_rows: list[dict[str, Any]] = []
    review_sources: list[ReviewSource] = []
    stockout_window = day - timedelta(days=p.STOCKOUT_WINDOW)
    for row in rows:
        sku, out, state = row["sku"], outcomes[row["sku"]], states[row["sku"]]
        price, cost = row["price_minor"], row["cost_minor"]
        net_price = price - round(price * facts.discounts.get(sku, 0) / 100)
        left = _take(shelves.get(sku, []), sold[sku], sku, stock_updates)
        sales_rows.append(
            {
                "sku": sku,
                "day": iso,
                "units": sold[sku],
                "revenue_minor": sold[sku] * net_price,
                "lost_units": lost[sku],
            }
        )
        totals.units += sold[sku]
        totals.lost_units += lost[sku]
        totals.gross_minor += sold[sku] * price
        totals.discounts_minor += sold[sku] * (price - net_price)
        totals.cogs_minor += sold[sku] * cost
        totals.holding_minor += sum(on_hand for _, on_hand, _ in shelves.get(sku, [])) * cost * p.HOLDING_RATE
        totals.organic_sessions += out.organic_sessions
        totals.organic_units += out.organic_units
        totals.organic_revenue += out.expected_organic * net_price
        if sku in drivers.ads_by_sku:
            totals.realization[sku] = out.realization
        states[sku] = state.advance(sold[sku], out.backlog, out.debt, out.debt_rate, iso if out.short else None)
        if row["status"] != "active":
            continue
        if catalog.value > 0:
            totals.general_realization += row["base_daily_demand"] * price * out.realization / catalog.value
        if left == 0:
            totals.stockouts.append(sku)
        if out.expected_units > 0:
            totals.cover_total += min(365.0, left / out.expected_units)
            totals.covered_skus += 1
        review_sources.append(
            ReviewSource(
                sku, rngs[sku], state.recent_units[0], state.stocked_out_since(stockout_window), sku in facts.replied
            )
        )
    new_reviews = write_reviews(day, review_sources, totals.new_reviews + 1)
    totals.new_reviews += len(new_reviews)
    _write(conn, sales_rows, stock_updates, new_reviews)
    save_states(conn, states)


def _substitute(
    rows: Sequence[RowMapping],
    outcomes: Mapping[str, SkuDay],
    sellable: Mapping[str, int],
    sold: dict[str, int],
    lost: dict[str, int],
) -> None:
    """Shoppers who switch buy the same-category SKU with the most stock left; if none has any, the sale is lost.

    A SKU that sends substitutes sold out, so it is never its own sibling.
    """
    left: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        sku = row["sku"]
        spare = sellable[sku] - sold[sku]
        if row["status"] == "active" and spare > 0:
            left.setdefault(row["category"], []).append((-spare, sku))
    for heap in left.values():
        heapq.heapify(heap)
    for row in rows:
        wanted, heap = outcomes[row["sku"]].substitute, left.get(row["category"], [])
        while wanted > 0 and heap:
            spare, sibling = heapq.heappop(heap)
            take = min(wanted, -spare)
            sold[sibling] += take
            wanted -= take
            if -spare > take:
                heapq.heappush(heap, (spare + take, sibling))
        lost[row["sku"]] += wanted


def _take(shelf: list[list[Any]], units: int, sku: str, updates: list[dict[str, Any]]) -> int:
    """Pick `units` from the warehouses with the most sellable stock first; returns sellable stock left."""
    for place in sorted(shelf, key=lambda s: (-(s[1] - s[2]), s[0])):
        take = min(units, max(0, place[1] - place[2]))
        if take > 0:
            place[1] -= take
            units -= take
            updates.append({"b_sku": sku, "b_wh": place[0], "b_on_hand": place[1]})
    return sum(max(0, on_hand - reserved) for _, on_hand, reserved in shelf)


def _write(
    conn: Connection,
    sales_rows: list[dict[str, Any]],
    stock_updates: list[dict[str, Any]],
    new_reviews: list[dict[str, Any]],
) -> None:
    execute_many(conn, insert(sales_daily), sales_rows)
    execute_many(conn, PICK, stock_updates)
    execute_many(conn, insert(reviews), new_reviews)
