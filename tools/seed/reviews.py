"""The reviews' rows: ratings in three languages, skewed to a few SKUs on large catalogs, and the brand's replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from cadencia.tools.seed import words
from cadencia.tools.seed.catalog import sku_id
from cadencia.tools.seed.crm import contact
from cadencia.tools.seed.rand import stream
from cadencia.tools.seed.sizes import Sizes

REPLY = "Thank you for your kind words! — The Maison Lysa team"


def review(seed: int, k: int, sizes: Sizes, today: date) -> dict[str, Any]:
    rng = stream(seed, "review", k)
    rating = rng.choices([5, 4, 3, 2, 1], weights=[48, 28, 11, 6, 7])[0]
    language = rng.choice(["es", "es", "en", "fr"])
    mood = "good" if rating >= 4 else "mixed" if rating == 3 else "bad"
    title, body = rng.choice(words.REVIEW_TEXT[language][mood])
    sku_index = min(sizes.skus - 1, int(rng.paretovariate(1.2)) - 1) if sizes.skus > 40 else rng.randrange(sizes.skus)
    author = contact(seed, rng.randrange(sizes.contacts), today)
    return {
        "id": f"RV-{k:06d}",
        "sku": sku_id(sku_index),
        "rating": rating,
        "language": language,
        "title": title,
        "body": body,
        "author": f"{author['first_name']} {author['last_name'][0]}.",
        "contact_id": author["id"] if rng.random() < 0.7 else None,
        "created_on": (today - timedelta(days=rng.randint(1, 365))).isoformat(),
        "verified_purchase": rng.random() < 0.8,
    }


def reviews(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    return (review(seed, k, sizes, today) for k in range(sizes.reviews))


def replies(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    for k in range(sizes.reviews):
        rated = review(seed, k, sizes, today)
        if rated["rating"] >= 4 and stream(seed, "reply", k).random() < 0.3:
            yield {"review_id": rated["id"], "body": REPLY, "claim_ids": "[]", "created_on": rated["created_on"]}
