"""Local ledger tables of vendor backends: object images for undo, shadow proposals, the analytics mirror, sync state.

All are bookkeeping (outside the sandbox state hash); rows are keyed by the backend name (e.g. `shopify`).
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from cadencia.tools.store.metadata import BOOKKEEPING, metadata

vendor_objects = Table(
    "vendor_objects",
    metadata,
    Column("backend", String(16), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("object_id", String(200), primary_key=True),
    Column("state", Text, nullable=False),
    info={BOOKKEEPING: True},
)
"""The last state Cadencia read or wrote of a vendor object; the undo journal records its before/after images."""

vendor_proposals = Table(
    "vendor_proposals",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("backend", String(16), nullable=False),
    Column("tool", String(64), nullable=False),
    Column("day", String(10), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("args", Text, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("effect", Text, nullable=False),
    Column("validated_by", String(32), nullable=False),
    info={BOOKKEEPING: True},
)
"""Shadow mode: each write that would have been sent (or was refused), with its expected effect."""

vendor_order_lines = Table(
    "vendor_order_lines",
    metadata,
    Column("backend", String(16), primary_key=True),
    Column("order_id", String(80), primary_key=True),
    Column("sku", String(80), primary_key=True),
    Column("day", String(10), nullable=False),
    Column("units", Integer, nullable=False),
    Column("revenue_minor", Integer, nullable=False),
    Column("cogs_minor", Integer, nullable=False),
    Column("category", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("updated_at", String(32), nullable=False),
    info={BOOKKEEPING: True},
)
"""Mirror of the shop's order lines (net of refunds), for sales reports and demand forecasts."""

vendor_insights_daily = Table(
    "vendor_insights_daily",
    metadata,
    Column("backend", String(16), primary_key=True),
    Column("campaign_id", String(80), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("spend_minor", Integer, nullable=False),
    Column("impressions", Integer, nullable=False),
    Column("clicks", Integer, nullable=False),
    Column("conversions", Integer, nullable=False),
    Column("revenue_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    info={BOOKKEEPING: True},
)
"""Mirror of daily ad insights per campaign, for marginal ROAS and holdout lift."""

vendor_sync_state = Table(
    "vendor_sync_state",
    metadata,
    Column("backend", String(16), primary_key=True),
    Column("stream", String(32), primary_key=True),
    Column("watermark", String(32), nullable=False),
    Column("synced_at", String(32), nullable=False),
    info={BOOKKEEPING: True},
)
"""How far each mirrored stream has been synced (an updated-at or day watermark)."""

vendor_deliveries = Table(
    "vendor_deliveries",
    metadata,
    Column("backend", String(16), primary_key=True),
    Column("send_id", String(80), primary_key=True),
    Column("contact_id", String(80), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("sent_on", String(10), nullable=False, index=True),
    info={BOOKKEEPING: True},
)
"""Marketing messages Cadencia sent through a vendor, per contact: what the frequency cap counts."""
