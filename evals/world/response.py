"""Pure response curves of the market model (no I/O): prices, promotions, reviews, media, messages, brand."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar

from cadencia.evals.world import params as p
from cadencia.tools.seed import MarketSpec, PlatformSpec

T = TypeVar("T")


class Draws(Protocol):
    """What the review draws need of a random stream (`random.Random` or a counter stream)."""

    def random(self) -> float: ...
    def choice(self, seq: Sequence[T]) -> T: ...
    def choices(self, population: Sequence[T], weights: Sequence[float]) -> list[T]: ...


def hill(x: float, half: float, alpha: float) -> float:
    """Hill saturation in [0, 1): x^α / (x^α + half^α)."""
    if x <= 0:
        return 0.0
    return x**alpha / (x**alpha + half**alpha)


def platform_rates(market: MarketSpec, platform: str) -> PlatformSpec:
    """Benchmark CPM (cents) and CTR of an ad platform (§2)."""
    if platform not in market.platforms:
        raise ValueError(f"unknown ad platform {platform!r}; the simulator knows {sorted(market.platforms)}")
    return market.platforms[platform]


def cpm_season(market: MarketSpec, day: date) -> float:
    """The weekly rhythm times the November ramp (+23% → +66%)."""
    season = market.traffic_season(day)
    if day.month == 11:
        low, high = p.NOVEMBER_CPM
        season *= low + (high - low) * (day.day - 1) / 29
    return season


def cpm_minor(rates: PlatformSpec, spend: float, saturation: float, season: float) -> float:
    """CPM_t = CPM0·season·(1 + S/B)^η with B = CPM_DEPTH × saturation spend."""
    return float(rates.cpm_minor * season * (1 + spend / (p.CPM_DEPTH * max(saturation, 1.0))) ** p.CPM_ETA)


def click_rate(rates: PlatformSpec, impressions: float, saturation: float) -> float:
    """CTR under audience fatigue: ctr / (1 + I / cap), cap = AUDIENCE_CAP × impressions at saturation spend."""
    cap = p.AUDIENCE_CAP * 1000 * max(saturation, 1.0) / rates.cpm_minor
    return rates.ctr / (1 + impressions / cap)


def direct_response(carry: float, theta: float, response_max: float, saturation: float, alpha: float) -> float:
    """True incremental revenue of a campaign: Hill of its normalised adstock (carry·(1−θ) = spend at steady state)."""
    return response_max * hill(carry * (1 - theta), saturation, alpha)


def brand_multiplier(awareness: float, half: float) -> float:
    """Organic demand lift from brand awareness, 1.0 at the starting awareness."""
    return (1 + p.BRAND_RHO * hill(awareness, half, 1.0)) / (1 + p.BRAND_RHO / 2)


def price_multiplier(price: int, list_price: int, elasticity: float) -> float:
    """(P/P0)^ε with the SKU's own elasticity (ε < 0)."""
    if price <= 0 or list_price <= 0:
        return 1.0
    return float((price / list_price) ** elasticity)


def promotion_lift(discount_pct: int) -> float:
    """1 + 3.63·depth: short-term promotion elasticity."""
    return 1 + p.PROMO_ELASTICITY * discount_pct / 100


def review_multiplier(count: int, mean_rating: float) -> float:
    """Conversion effect of the review count (saturating by 10) and of the mean rating (peak 4.0–4.7★)."""
    count_effect = 1 + p.REVIEW_COUNT_GAIN * (1 - math.exp(-count / p.REVIEW_COUNT_SCALE))
    if count == 0:
        return count_effect
    low, high = p.RATING_PEAK
    below, above = p.RATING_SLOPES
    if mean_rating < low:
        rating_effect = max(0.2, 1 - below * (low - mean_rating))
    elif mean_rating > high:
        rating_effect = 1 - above * (mean_rating - high)
    else:
        rating_effect = 1.0
    return count_effect * rating_effect


def draw_rating(rng: Draws, shift: float) -> int:
    """A star rating from RATING_WEIGHTS, moved one star up or down with the probability that shifts the mean."""
    stars = [s for s, _ in p.RATING_WEIGHTS]
    weights = [w for _, w in p.RATING_WEIGHTS]
    rating = rng.choices(stars, weights=weights)[0]
    move = rng.random()
    total = sum(weights)
    if shift > 0:
        movable = sum(w for s, w in p.RATING_WEIGHTS if s < 5) / total
        return rating + 1 if rating < 5 and move < shift / movable else rating
    if shift < 0:
        movable = sum(w for s, w in p.RATING_WEIGHTS if s > 1) / total
        return rating - 1 if rating > 1 and move < -shift / movable else rating
    return rating


def message_fatigue(sends_in_week: int) -> float:
    """exp(−λ·(n − 1)) for the n-th marketing message a contact gets within 7 days."""
    return math.exp(-p.FATIGUE_DECAY * max(0, sends_in_week - 1))


def split_unmet(unmet: int) -> tuple[int, int, int]:
    """Unmet demand → (lost, backlogged, substituted) in the 66/22/12 split."""
    backlog = round(unmet * p.BACKLOG_SHARE)
    substitute = round(unmet * p.SUBSTITUTE_SHARE)
    return unmet - backlog - substitute, backlog, substitute
