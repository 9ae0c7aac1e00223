"""One SKU's day (pure): demand from shoppers, ads and messages, then sales against stock, backlog and lost units."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from cadencia.evals.world import params as p
from cadencia.evals.world.draws import binomial_at, poisson_at
from cadencia.evals.world.response import price_multiplier, promotion_lift, split_unmet


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


def simulate_sku(day: SkuDayInput, rng: random.Random) -> SkuDay:
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
