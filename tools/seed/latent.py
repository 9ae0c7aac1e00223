"""What the demo brand's past was drawn from: its market's figures and each product's and campaign's latent traits.

None of it is written to the store; the seed uses it to write a past (sales, stock, ad performance) that a real
shop would have recorded. A simulator that continues that past adopts it (`cadencia.evals.world.truth`).
"""

from __future__ import annotations

import random
from datetime import date

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlatformSpec(_Frozen):
    """An ad platform's benchmark figures (§2 of the simulation notes) and how much it over-credits itself."""

    cpm_minor: int
    ctr: float
    cvr: float
    attribution_inflation: tuple[float, float]


class MarketSpec(_Frozen):
    """Market-wide figures: weekly rhythm, ad platforms, delivery and reporting noise, the ranges traits come from."""

    weekend_traffic: float
    weekday_traffic: float
    platforms: dict[str, PlatformSpec]
    aov_minor: int
    """Average order value: turns reported ad revenue into conversions."""
    delivery: tuple[float, float]
    """Share of a daily budget a platform actually spends."""
    attribution_noise: tuple[float, float]
    impressions_per_user: int
    saturation_multiples: tuple[float, ...]
    """A campaign's saturation spend, as a multiple of its daily budget when it was created."""
    hill_alpha: tuple[float, float]
    adstock_theta: tuple[float, float]
    response_ratio: tuple[float, float]
    """Response ceiling over saturation spend."""
    elasticity: tuple[float, float]
    demand_lognormal: tuple[float, float]
    """(μ, σ) of a product's base daily units at list price."""

    def traffic_season(self, day: date) -> float:
        """Weekend lift for online beauty (≈ +15% Sat/Sun)."""
        return self.weekend_traffic if day.weekday() >= 5 else self.weekday_traffic


MARKET = MarketSpec(
    weekend_traffic=1.15,
    weekday_traffic=0.96,
    platforms={
        "meta": PlatformSpec(cpm_minor=1170, ctr=0.0088, cvr=0.040, attribution_inflation=(1.6, 2.4)),
        "google": PlatformSpec(cpm_minor=1270, ctr=0.0200, cvr=0.045, attribution_inflation=(1.2, 1.6)),
        "tiktok": PlatformSpec(cpm_minor=1230, ctr=0.0080, cvr=0.039, attribution_inflation=(1.8, 2.8)),
    },
    aov_minor=5_500,
    delivery=(0.85, 1.0),
    attribution_noise=(0.9, 1.1),
    impressions_per_user=3,
    saturation_multiples=(0.4, 0.7, 1.0, 1.5, 2.5),
    hill_alpha=(0.9, 2.2),
    adstock_theta=(0.5, 0.8),
    response_ratio=(2.5, 6.0),
    elasticity=(-3.2, -1.6),
    demand_lognormal=(1.4, 0.6),
)
"""Maison Lysa's market (figures cited in docs/SIMULATOR.md)."""


class ProductTraits(_Frozen):
    elasticity: float
    """Own-price elasticity ε < 0: units × (P/P_list)^ε."""
    base_daily_demand: float
    """Units a day at list price, before season, ads, reviews and events."""


class CampaignTraits(_Frozen):
    """True incremental revenue a day is `response_max_minor · x^α / (x^α + saturation_minor^α)` of adstocked spend x
    (θ = `adstock_theta`); the platform reports `attribution_inflation` times that."""

    saturation_minor: int
    hill_alpha: float
    adstock_theta: float
    response_max_minor: int
    attribution_inflation: float


def draw_product_traits(rng: random.Random, market: MarketSpec = MARKET) -> ProductTraits:
    return ProductTraits(
        elasticity=round(rng.uniform(*market.elasticity), 3),
        base_daily_demand=round(rng.lognormvariate(*market.demand_lognormal), 3),
    )


def draw_campaign_curve(
    rng: random.Random, platform: str, saturation_minor: int, market: MarketSpec = MARKET
) -> CampaignTraits:
    """The rest of a campaign's traits once its saturation spend is drawn."""
    return CampaignTraits(
        saturation_minor=saturation_minor,
        hill_alpha=round(rng.uniform(*market.hill_alpha), 3),
        adstock_theta=round(rng.uniform(*market.adstock_theta), 3),
        response_max_minor=round(saturation_minor * rng.uniform(*market.response_ratio)),
        attribution_inflation=round(rng.uniform(*market.platforms[platform].attribution_inflation), 3),
    )
