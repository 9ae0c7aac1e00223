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


class SummaryBuilder:
    """Accumulates reviews one at a time (newest first) into a ReviewSummary; shared by the sandbox and vendors."""

    def __init__(self) -> None:
        self.ratings: Counter[int] = Counter()
        self.moods: Counter[Sentiment] = Counter()
        self.theme_counts: Counter[Theme] = Counter()
        self.theme_negative: Counter[Theme] = Counter()
        self.examples: dict[Theme, str] = {}
        self.analysed: dict[str, tuple[Sentiment, list[Theme]]] = {}  # review texts repeat a lot; analyse each once
        self.answered = self.flagged = self.unanswered_negative = 0

    def add(self, *, review_id: str, rating: int, replied: bool, flagged: bool, content: str) -> None:
        self.ratings[rating] += 1
        self.answered += replied
        self.flagged += flagged
        self.unanswered_negative += not replied and rating <= 2
        seen = self.analysed.get(content)
        mood, found = seen if seen else (text.sentiment(content), text.themes(content))
        if seen is None and len(self.analysed) < MEMO_SIZE:
            self.analysed[content] = (mood, found)
        self.moods[mood] += 1
        for theme in found:
            self.theme_counts[theme] += 1
            self.theme_negative[theme] += mood is Sentiment.NEGATIVE
            self.examples.setdefault(theme, review_id)

    def result(self, *, sku: str | None, since: date | None) -> ReviewSummary:
        count = sum(self.ratings.values())
        stars = sum(r * n for r, n in self.ratings.items())
        order = sorted(self.theme_counts, key=lambda t: (-self.theme_counts[t], t.value))
        return ReviewSummary(
            sku=sku,
            since=since,
            count=count,
            mean_rating=round(stars / count, 2) if count else None,
            rating_distribution=[RatingCount(rating=r, count=self.ratings[r]) for r in range(1, 6)],
            answered=self.answered,
            answered_share=round(self.answered / count, 4) if count else None,
            unanswered_negative=self.unanswered_negative,
            flagged=self.flagged,
            sentiment=SentimentCounts(
                positive=self.moods[Sentiment.POSITIVE],
                neutral=self.moods[Sentiment.NEUTRAL],
                negative=self.moods[Sentiment.NEGATIVE],
            ),
            themes=[
                ThemeStat(
                    theme=t,
                    count=self.theme_counts[t],
                    negative=self.theme_negative[t],
                    example_review_id=self.examples[t],
                )
                for t in order
            ],
            method=text.METHOD,
        )


def summarize(conn: Connection, *, sku: str | None, since: date | None) -> ReviewSummary:
    """One pass over the matching reviews (streamed, so memory stays bounded at any scale)."""
    stmt = review_select().order_by(reviews.c.created_on.desc(), reviews.c.id.desc())
    if sku is not None:
        stmt = stmt.where(reviews.c.sku == sku)
    if since is not None:
        stmt = stmt.where(reviews.c.created_on >= since.isoformat())
    builder = SummaryBuilder()
    result = conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
    for row in result.mappings():
        builder.add(
            review_id=row["id"],
            rating=row["rating"],
            replied=row["reply_review_id"] is not None,
            flagged=row["flag_reason"] is not None,
            content=full_text(row),
        )
    return builder.result(sku=sku, since=since)
