"""Reviews tables: customer reviews (read-only to every tool), replies, moderation flags, review requests."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from cadencia.tools.store.metadata import metadata

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("sku", String(32), ForeignKey("products.sku"), nullable=False, index=True),
    Column("rating", Integer, nullable=False),
    Column("language", String(2), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("author", String(100), nullable=False),
    Column("contact_id", String(16)),
    Column("created_on", String(10), nullable=False, index=True),
    Column("verified_purchase", Boolean, nullable=False),
)
"""Written by customers only (the seed and the simulator); no tool inserts or edits a review."""

review_replies = Table(
    "review_replies",
    metadata,
    Column("review_id", String(16), ForeignKey("reviews.id"), primary_key=True),
    Column("body", Text, nullable=False),
    Column("claim_ids", Text, nullable=False),
    Column("created_on", String(10), nullable=False),
)

review_flags = Table(
    "review_flags",
    metadata,
    Column("review_id", String(16), ForeignKey("reviews.id"), primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("flagged_on", String(10), nullable=False),
)

review_requests = Table(
    "review_requests",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("contact_id", String(16), nullable=False, index=True),
    Column("sku", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("sent_on", String(10), nullable=False),
)

# list_reviews filters and its newest-first order; review requests by SKU and newest first.
Index("ix_reviews_newest", reviews.c.created_on, reviews.c.id)
Index("ix_reviews_rating", reviews.c.rating)
Index("ix_reviews_language", reviews.c.language)
Index("ix_review_requests_sku", review_requests.c.sku)
Index("ix_review_requests_newest", review_requests.c.sent_on, review_requests.c.id)
