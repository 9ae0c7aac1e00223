"""Per-SKU demand forecast: simple exponential smoothing (the strong M5 baseline) and the reorder point.

SS = z·σ·√L, ROP = d·L + SS (SIMULATION.md §3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5)
REVIEW_PERIOD_DAYS = 7


@dataclass(frozen=True)
class Smoothed:
    level: float
    alpha: float
    error_std: float


def smooth(history: list[int]) -> Smoothed:
    """Fit α on one-step-ahead squared error; returns the final level and the error spread."""
    if not history:
        return Smoothed(level=0.0, alpha=ALPHAS[0], error_std=0.0)
    best: Smoothed | None = None
    best_sse = math.inf
    for alpha in ALPHAS:
        level = float(history[0])
        errors: list[float] = []
        for value in history[1:]:
            errors.append(value - level)
            level += alpha * (value - level)
        sse = sum(e * e for e in errors)
        if sse < best_sse:
            std = math.sqrt(sse / len(errors)) if errors else 0.0
            best, best_sse = Smoothed(level=level, alpha=alpha, error_std=std), sse
    assert best is not None
    return best


def z_score(service_level: float) -> float:
    return NormalDist().inv_cdf(service_level)


def safety_stock(error_std: float, lead_time_days: int, service_level: float) -> float:
    return z_score(service_level) * error_std * math.sqrt(lead_time_days)


def suggested_quantity(daily: float, lead_time_days: int, safety: float, position: int) -> int:
    """Order up to cover lead time + one review period + safety stock, minus what is on hand and on order."""
    target = daily * (lead_time_days + REVIEW_PERIOD_DAYS) + safety
    return max(0, math.ceil(target - position))
