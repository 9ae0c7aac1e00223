"""Reading the sandbox's reviews in tests: which review is still unanswered, how many replies one got."""

from __future__ import annotations

from sqlalchemy import select

from cadencia.tools.reviews.tables import review_replies, reviews
from cadencia.tools.store.store import Store


def unanswered(store: Store) -> str:
    """The first review (by id) without a reply."""
    with store.reading() as conn:
        stmt = select(reviews.c.id).where(reviews.c.id.not_in(select(review_replies.c.review_id)))
        return str(conn.execute(stmt.order_by(reviews.c.id).limit(1)).scalar_one())


def replies_to(store: Store, review_id: str) -> int:
    """How many replies the review has (a send that ran once leaves exactly one)."""
    with store.reading() as conn:
        return len(conn.execute(select(review_replies).where(review_replies.c.review_id == review_id)).all())
