"""A batch of SKUs' day (pure, on arrays): demand from shoppers, ads and messages, then sales against stock,
backlog and lost units. Element i is what the per-SKU model (tests' oracle) gives SKU i, bit for bit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cadencia.evals.world import params as p
from cadencia.evals.world.quantiles import binomial_quantiles, poisson_quantiles

DRAWS = 4
"""Uniforms each SKU's stream spends on demand (span, sessions, buyers, paid), whatever happens."""


@dataclass(frozen=True, slots=True)
class SkuDayInputs:
    """Everything that shapes each SKU's demand on one day (one array element per SKU)."""

    price: np.ndarray
    list_price: np.ndarray
    elasticity: np.ndarray
    base_daily_demand: np.ndarray
    discount_pct: np.ndarray
    traffic: np.ndarray
    """Organic shoppers multiplier: weekly season × brand awareness × demand events."""
    conversion: np.ndarray
    """Conversion multiplier besides price and promotion: reviews relative to the start × competitor events."""
    paid_units: np.ndarray
    """Units that ads and messages would sell today at baseline conversion."""
    sellable: np.ndarray
    backlog: np.ndarray
    debt: np.ndarray
    debt_rate: np.ndarray


@dataclass(frozen=True, slots=True)
class SkuDays:
    """What happened to each SKU: units sold to its own shoppers, unmet demand and the state it carries over."""

    sold: np.ndarray
    lost: np.ndarray
    substitute: np.ndarray
    backlog: np.ndarray
    short: np.ndarray
    """Some demand (new or backlogged) went unserved today."""
    debt: np.ndarray
    debt_rate: np.ndarray
    organic_sessions: np.ndarray
    organic_units: np.ndarray
    expected_units: np.ndarray
    expected_organic: np.ndarray
    realization: np.ndarray
    """Net revenue per unit of shelf-price demand: conversion × (1 − discount), 0 when out of stock."""


def _price_multiplier(price: np.ndarray, list_price: np.ndarray, elasticity: np.ndarray) -> np.ndarray:
    """(P/P0)^ε per SKU, 1.0 without a price; `pow` from the C library, as the scalar model uses it."""
    out = np.ones(len(price))
    priced = np.flatnonzero((price > 0) & (list_price > 0))
    ratio = (price[priced] / list_price[priced]).tolist()
    out[priced] = np.fromiter(map(math.pow, ratio, elasticity[priced].tolist()), dtype=np.float64, count=len(priced))
    return out


def simulate_skus(day: SkuDayInputs, u: np.ndarray) -> SkuDays:
    """Shoppers ~ Poisson, buyers ~ Binomial(shoppers, cvr·m), plus Poisson paid demand; sales capped by stock.

    `u` holds each SKU's first DRAWS uniforms (span, sessions, buyers, paid).
    """
    u_span, u_sessions, u_buyers, u_paid = u[:, 0], u[:, 1], u[:, 2], u[:, 3]
    low, high = p.DEBT_DAYS
    repay_span = low + (u_span * (high - low + 1)).astype(np.int64)
    lift = 1 + p.PROMO_ELASTICITY * day.discount_pct / 100
    multiplier = _price_multiplier(day.price, day.list_price, day.elasticity) * lift * day.conversion
    debt, rate, repay = day.debt.astype(np.float64), day.debt_rate.astype(np.float64), np.zeros(len(u))
    repaying = np.flatnonzero((day.discount_pct == 0) & (debt > 0))
    if len(repaying):
        d, r = debt[repaying], rate[repaying]
        r = np.where(r != 0, r, d / repay_span[repaying])
        back = np.minimum(d, r)
        d = d - back
        done = d < 1e-9
        debt[repaying], rate[repaying], repay[repaying] = np.where(done, 0.0, d), np.where(done, 0.0, r), back
    organic_mean = np.maximum(0.0, day.base_daily_demand * day.traffic * multiplier - repay)
    cvr = np.minimum(0.95, p.SITE_CVR * multiplier)
    shopping = cvr > 0
    sessions = np.zeros(len(u), dtype=np.int64)
    sessions[shopping] = poisson_quantiles(u_sessions[shopping], organic_mean[shopping] / cvr[shopping])
    organic = binomial_quantiles(u_buyers, sessions, cvr)
    paid = poisson_quantiles(u_paid, day.paid_units * multiplier)

    from_backlog = np.minimum(day.backlog, day.sellable)
    demand = organic + paid
    served = np.minimum(demand, day.sellable - from_backlog)
    waiting = day.backlog - from_backlog
    abandoned = -(-waiting // p.BACKLOG_DAYS)
    unmet = demand - served
    backlogged = np.rint(unmet * p.BACKLOG_SHARE).astype(np.int64)
    substitute = np.rint(unmet * p.SUBSTITUTE_SHARE).astype(np.int64)
    promoted = day.discount_pct > 0
    debt = np.where(promoted, debt + p.PROMO_DEBT_SHARE * served * (1 - 1 / lift), debt)
    rate = np.where(promoted, 0.0, rate)
    in_stock = np.where(day.sellable > 0, 1.0, 0.0)
    return SkuDays(
        sold=from_backlog + served,
        lost=unmet - backlogged - substitute + abandoned,
        substitute=substitute,
        backlog=waiting - abandoned + backlogged,
        short=(waiting > 0) | (demand > served),
        debt=debt,
        debt_rate=rate,
        organic_sessions=sessions,
        organic_units=organic,
        expected_units=organic_mean + day.paid_units * multiplier,
        expected_organic=organic_mean * in_stock,
        realization=multiplier * (1 - day.discount_pct / 100) * in_stock,
    )
