"""Aggregate reviews for a SKU or the whole brand: ratings, answered share, sentiment and themes."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import Connection

from cadencia.tools.reviews import text
from cadencia.tools.reviews.models import (
    RatingCount,
    ReviewSummary,
    Sentiment,
    SentimentCounts,
    Theme,
    ThemeStat,
)
from cadencia.tools.reviews.rows import full_text, review_select
from cadencia.tools.reviews.tables import reviews

STREAM_BATCH = 2000
MEMO_SIZE = 5000


def summarize(conn: Connection, *, sku: str | None, since: date | None) -> ReviewSummary:
    """One pass over the matching reviews (streamed, so memory stays bounded at any scale)."""
    stmt = review_select().order_by(reviews.c.created_on.desc(), reviews.c.id.desc())
    if sku is not None:
        stmt = stmt.where(reviews.c.sku == sku)
    if since is not None:
        stmt = stmt.where(reviews.c.created_on >= since.isoformat())
    ratings: Counter[int] = Counter()
    moods: Counter[Sentiment] = Counter()
    theme_counts: Counter[Theme] = Counter()
    theme_negative: Counter[Theme] = Counter()
    examples: dict[Theme, str] = {}
    analysed: dict[str, tuple[Sentiment, list[Theme]]] = {}  # review texts repeat a lot; analyse each once
    answered = flagged = unanswered_negative = 0
    result = conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
    for row in result.mappings():
        ratings[row["rating"]] += 1
        replied = row["reply_review_id"] is not None
        answered += replied
        flagged += row["flag_reason"] is not None
        unanswered_negative += not replied and row["rating"] <= 2
        content = full_text(row)
        seen = analysed.get(content)
        mood, found = seen if seen else (text.sentiment(content), text.themes(content))
        if seen is None and len(analysed) < MEMO_SIZE:
            analysed[content] = (mood, found)
        moods[mood] += 1
        for theme in found:
            theme_counts[theme] += 1
            theme_negative[theme] += mood is Sentiment.NEGATIVE
            examples.setdefault(theme, row["id"])
    count = sum(ratings.values())
    stars = sum(r * n for r, n in ratings.items())
    order = sorted(theme_counts, key=lambda t: (-theme_counts[t], t.value))
    return ReviewSummary(
        sku=sku,
        since=since,
        count=count,
        mean_rating=round(stars / count, 2) if count else None,
        rating_distribution=[RatingCount(rating=r, count=ratings[r]) for r in range(1, 6)],
        answered=answered,
        answered_share=round(answered / count, 4) if count else None,
        unanswered_negative=unanswered_negative,
        flagged=flagged,
        sentiment=SentimentCounts(
            positive=moods[Sentiment.POSITIVE], neutral=moods[Sentiment.NEUTRAL], negative=moods[Sentiment.NEGATIVE]
        ),
        themes=[
            ThemeStat(theme=t, count=theme_counts[t], negative=theme_negative[t], example_review_id=examples[t])
            for t in order
        ],
        method=text.METHOD,
    )
