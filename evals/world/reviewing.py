"""Customers writing reviews a week after they bought: how many, how many stars, which short text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from cadencia.evals.world import params as p
from cadencia.evals.world.draws import binomial_at
from cadencia.evals.world.response import Draws, draw_rating
from cadencia.tools.seed.words import REVIEW_TEXT

LANGUAGES = ("es", "es", "en", "fr")
"""Review languages in the seed's proportions."""


@dataclass(frozen=True)
class ReviewSource:
    sku: str
    rng: Draws
    """The SKU's stream for the day, after its demand draws."""
    units_week_ago: int
    stocked_out_lately: bool
    replied: bool


def write_reviews(day: date, sources: Iterable[ReviewSource], first_n: int) -> list[dict[str, Any]]:
    """New reviews ~ Binomial(units sold 7 days ago, 3.5%); ids `RV-S{yymmdd}-{n}` numbered from `first_n`."""
    rows: list[dict[str, Any]] = []
    for source in sources:
        if source.units_week_ago <= 0:
            continue
        count = binomial_at(source.rng.random(), source.units_week_ago, p.REVIEW_RATE)
        rows += review_rows(
            day, source.sku, source.rng, count, source.stocked_out_lately, source.replied, first_n + len(rows)
        )
    return rows


def review_rows(
    day: date, sku: str, rng: Draws, count: int, stocked_out_lately: bool, replied: bool, first_n: int
) -> list[dict[str, Any]]:
    """`count` reviews of `sku`, each with stars, language and text drawn from `rng`, numbered from `first_n`."""
    iso = day.isoformat()
    shift = (p.STOCKOUT_RATING_SHIFT if stocked_out_lately else 0.0) + (p.REPLY_RATING_SHIFT if replied else 0.0)
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        rating = draw_rating(rng, shift)
        language = rng.choice(LANGUAGES)
        mood = "good" if rating >= 4 else "mixed" if rating == 3 else "bad"
        title, body = rng.choice(REVIEW_TEXT[language][mood])
        rows.append(
            {
                "id": f"RV-S{day:%y%m%d}-{first_n + len(rows)}",
                "sku": sku,
                "rating": rating,
                "language": language,
                "title": title,
                "body": body,
                "author": "Verified buyer",
                "contact_id": None,
                "created_on": iso,
                "verified_purchase": True,
            }
        )
    return rows
