"""The simulator's per-SKU reference (the oracle the array simulator is proven equal to): the shop's day written
one SKU at a time in plain Python, as the simulator was before it ran on arrays. It draws from the same counter
streams, so for the same world, seed and day both must write the same rows and totals, bit for bit."""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, insert

from cadencia.evals.world import params as p
from cadencia.evals.world.bulk import execute_many
from cadencia.evals.world.catalog import Catalog, batch_facts, catalog_totals, product_pages
from cadencia.evals.world.counters import CounterStream, entity_key, stream_key
from cadencia.evals.world.draws import binomial_at, poisson_at
from cadencia.evals.world.response import price_multiplier, promotion_lift, split_unmet
from cadencia.evals.world.reviewing import ReviewSource, write_reviews
from cadencia.evals.world.sales import PICK, Drivers, SalesDay
from cadencia.evals.world.skustate import load_states, save_states
from cadencia.tools.inventory.tables import sales_daily
from cadencia.tools.reviews.tables import reviews


@dataclass(frozen=True, slots=True)
class SkuDayInput:
    """Everything that shapes one SKU's demand on one day."""

    price: int
    list_price: int
    elasticity: float
    base_daily_demand: float
    discount_pct: int
    traffic: float
    """Organic shoppers multiplier: weekly season × brand awareness × demand events."""
    conversion: float
    """Conversion multiplier besides price and promotion: reviews relative to the start × competitor events."""
    paid_units: float
    """Units that ads and messages would sell today at baseline conversion."""
    sellable: int
    backlog: int
    debt: float
    debt_rate: float


@dataclass(frozen=True, slots=True)
class SkuDay:
    """What happened to the SKU: units sold to its own shoppers, unmet demand and the state it carries over."""

    sold: int
    lost: int
    substitute: int
    backlog: int
    short: bool
    """Some demand (new or backlogged) went unserved today."""
    debt: float
    debt_rate: float
    organic_sessions: int
    organic_units: int
    expected_units: float
    expected_organic: float
    realization: float
    """Net revenue per unit of shelf-price demand: conversion × (1 − discount), 0 when out of stock."""


def simulate_sku(day: SkuDayInput, rng: CounterStream) -> SkuDay:
    """Shoppers ~ Poisson, buyers ~ Binomial(shoppers, cvr·m), plus Poisson paid demand; sales capped by stock.

    Exactly four uniforms are drawn, first, whatever happens, so later draws from `rng` never shift.
    """
    u_span, u_sessions, u_buyers, u_paid = rng.random(), rng.random(), rng.random(), rng.random()
    low, high = p.DEBT_DAYS
    repay_span = low + int(u_span * (high - low + 1))
    lift = promotion_lift(day.discount_pct)
    multiplier = price_multiplier(day.price, day.list_price, day.elasticity) * lift * day.conversion
    debt, rate, repay = day.debt, day.debt_rate, 0.0
    if day.discount_pct == 0 and debt > 0:
        rate = rate or debt / repay_span
        repay = min(debt, rate)
        debt -= repay
        if debt < 1e-9:
            debt, rate = 0.0, 0.0
    organic_mean = max(0.0, day.base_daily_demand * day.traffic * multiplier - repay)
    cvr = min(0.95, p.SITE_CVR * multiplier)
    sessions = poisson_at(u_sessions, organic_mean / cvr) if cvr > 0 else 0
    organic = binomial_at(u_buyers, sessions, cvr)
    paid = poisson_at(u_paid, day.paid_units * multiplier)

    from_backlog = min(day.backlog, day.sellable)
    served = min(organic + paid, day.sellable - from_backlog)
    waiting = day.backlog - from_backlog
    abandoned = math.ceil(waiting / p.BACKLOG_DAYS)
    lost, backlogged, substitute = split_unmet(organic + paid - served)
    if day.discount_pct > 0:
        debt += p.PROMO_DEBT_SHARE * served * (1 - 1 / lift)
        rate = 0.0
    in_stock = 1.0 if day.sellable > 0 else 0.0
    return SkuDay(
        sold=from_backlog + served,
        lost=lost + abandoned,
        substitute=substitute,
        backlog=waiting - abandoned + backlogged,
        short=waiting > 0 or organic + paid > served,
        debt=debt,
        debt_rate=rate,
        organic_sessions=sessions,
        organic_units=organic,
        expected_units=organic_mean + day.paid_units * multiplier,
        expected_organic=organic_mean * in_stock,
        realization=multiplier * (1 - day.discount_pct / 100) * in_stock,
    )


def oracle_sales(conn: Connection, seed: int, day: date, drivers: Drivers) -> SalesDay:
    """The per-SKU reference of `simulate_sales`: the same day, one SKU and one Python object at a time."""
    catalog = catalog_totals(conn)
    totals = SalesDay()
    for rows in product_pages(conn):
        _batch(conn, seed, day, drivers, catalog, [row._mapping for row in rows], totals)
    return totals


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
    key = stream_key(seed, "sim", iso, "shop")
    rngs = {sku: CounterStream(key, entity_key(sku)) for sku in skus}
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
