"""Ads tables: campaigns, daily performance, creatives, experiments."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from cadencia.tools.store.metadata import metadata

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("objective", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("daily_budget_minor", Integer, nullable=False),
    Column("sku", String(32)),
    Column("holdout_pct", Integer, nullable=False, default=0),
    Column("created_on", String(10), nullable=False),
)

ad_performance = Table(
    "ad_performance",
    metadata,
    Column("campaign_id", String(16), ForeignKey("campaigns.id"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("spend_minor", Integer, nullable=False),
    Column("impressions", Integer, nullable=False),
    Column("clicks", Integer, nullable=False),
    Column("conversions", Integer, nullable=False),
    Column("revenue_minor", Integer, nullable=False),
    Column("holdout_users", Integer, nullable=False, default=0),
    Column("holdout_conversions", Integer, nullable=False, default=0),
    Column("exposed_users", Integer, nullable=False, default=0),
)
"""Platform-reported daily figures (revenue is attributed, hence inflated); holdout columns give lift."""

creatives = Table(
    "creatives",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("campaign_id", String(16), ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("headline", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("ai_generated", Boolean, nullable=False),
    Column("claim_ids", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_on", String(10), nullable=False),
)

experiments = Table(
    "experiments",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("campaign_a", String(16), ForeignKey("campaigns.id"), nullable=False),
    Column("campaign_b", String(16), ForeignKey("campaigns.id"), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_on", String(10), nullable=False),
    Column("ends_on", String(10), nullable=False),
)

Index("ix_campaigns_platform_id", campaigns.c.platform, campaigns.c.id)
Index("ix_campaigns_status_id", campaigns.c.status, campaigns.c.id)
