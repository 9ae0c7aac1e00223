"""How big the demo brand is at each scale, and its fixed identity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

BRAND = "Maison Lysa"
CURRENCY = "EUR"


class Scale(StrEnum):
    SMALL = "small"
    LARGE = "large"


@dataclass(frozen=True)
class Sizes:
    skus: int
    contacts: int
    reviews: int
    campaigns_per_platform: int
    history_days: int


SIZES = {
    Scale.SMALL: Sizes(skus=40, contacts=2_000, reviews=500, campaigns_per_platform=3, history_days=63),
    Scale.LARGE: Sizes(skus=100_000, contacts=1_000_000, reviews=50_000, campaigns_per_platform=10, history_days=56),
}
