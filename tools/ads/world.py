"""Hidden response parameters for campaigns created through the tools, drawn like the seed's (simulator only)."""

from __future__ import annotations

from typing import TypedDict

from cadencia.tools.seed.generate import PLATFORMS
from cadencia.tools.seed.rand import stream


class HiddenResponse(TypedDict):
    saturation_minor: int
    hill_alpha: float
    adstock_theta: float
    response_max_minor: int
    attribution_inflation: float


def hidden_response(seed: int, campaign_id: str, platform: str, daily_budget_minor: int) -> HiddenResponse:
    """Deterministic in (world seed, campaign id): replaying a scenario recreates the same market response."""
    rng = stream(seed, "created-campaign", campaign_id)
    low, high = PLATFORMS[platform][3]
    saturation = max(1, round(daily_budget_minor * rng.choice([0.4, 0.7, 1.0, 1.5, 2.5])))
    return HiddenResponse(
        saturation_minor=saturation,
        hill_alpha=round(rng.uniform(0.9, 2.2), 3),
        adstock_theta=round(rng.uniform(0.5, 0.8), 3),
        response_max_minor=round(saturation * rng.uniform(2.5, 6.0)),
        attribution_inflation=round(rng.uniform(low, high), 3),
    )
