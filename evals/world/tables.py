"""The simulator's hidden tables: the market's truth, its carried state (adstock, backlog, active events) and the
true-money ledger.

Marked as bookkeeping so `Store.state_hash()` is the same whether or not this module was imported; everything
they drive shows up in the visible tables (sales, stock, ad performance, reviews).
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, Float, Integer, String, Table, Text

from cadencia.tools.store.metadata import BOOKKEEPING, metadata

sim_market = Table(
    "sim_market",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("spec", Text, nullable=False),
    info={BOOKKEEPING: True},
)
"""The market's figures (`MarketSpec` as JSON under the name "market"): weekly rhythm, ad platforms, noise, ranges."""

sim_product_truth = Table(
    "sim_product_truth",
    metadata,
    Column("sku", String(32), primary_key=True),
    Column("elasticity", Float, nullable=False),
    Column("base_daily_demand", Float, nullable=False),
    info={BOOKKEEPING: True},
)
"""Per product: own-price elasticity and base daily units at list price (never shown by a tool)."""

sim_campaign_truth = Table(
    "sim_campaign_truth",
    metadata,
    Column("campaign_id", String(16), primary_key=True),
    Column("saturation_minor", Integer, nullable=False),
    Column("hill_alpha", Float, nullable=False),
    Column("adstock_theta", Float, nullable=False),
    Column("response_max_minor", Integer, nullable=False),
    Column("attribution_inflation", Float, nullable=False),
    info={BOOKKEEPING: True},
)
"""Per campaign: true incremental revenue a day is `response_max_minor · x^α / (x^α + saturation_minor^α)` of
adstocked spend x (θ = `adstock_theta`); the platform reports `attribution_inflation` times that."""

sim_state = Table(
    "sim_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Float, nullable=False),
    info={BOOKKEEPING: True},
)
"""World-level scalars: the brand adstock and its half-saturation point."""

sim_effects = Table(
    "sim_effects",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("sku", String(32)),
    Column("category", String(32)),
    Column("platform", String(16)),
    Column("multiplier", Float, nullable=False),
    Column("starts_on", String(10), nullable=False),
    Column("ends_on", String(10), nullable=False),
    info={BOOKKEEPING: True},
)
"""Scripted events that last several days (demand spikes, viral posts, competitor cuts, CPM shocks)."""

sim_campaigns = Table(
    "sim_campaigns",
    metadata,
    Column("campaign_id", String(16), primary_key=True),
    Column("spend_carry", Float, nullable=False),
    Column("brand_carry", Float, nullable=False),
    info={BOOKKEEPING: True},
)
"""Geometric adstock per campaign: of spend (direct response) and of impressions in thousands (brand)."""

sim_skus = Table(
    "sim_skus",
    metadata,
    Column("sku", String(32), primary_key=True),
    Column("backlog", Integer, nullable=False),
    Column("debt", Float, nullable=False),
    Column("debt_rate", Float, nullable=False),
    Column("recent_units", Text, nullable=False),
    Column("last_stockout", String(10)),
    Column("review_ref", Float, nullable=False),
    info={BOOKKEEPING: True},
)
"""Per-SKU carried state: backlogged orders, post-promotion demand debt, the last 7 days' units (comma-separated,
oldest first, for reviews a week later), the last day with unmet demand, the review multiplier at start."""

sim_ledger = Table(
    "sim_ledger",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("units", Integer, nullable=False),
    Column("lost_units", Integer, nullable=False),
    Column("gross_minor", Integer, nullable=False),
    Column("discounts_minor", Integer, nullable=False),
    Column("revenue_minor", Integer, nullable=False),
    Column("cogs_minor", Integer, nullable=False),
    Column("ad_spend_minor", Integer, nullable=False),
    Column("fees_minor", Integer, nullable=False),
    Column("holding_minor", Integer, nullable=False),
    Column("messaging_minor", Integer, nullable=False),
    Column("profit_minor", Integer, nullable=False),
    Column("sessions", Integer, nullable=False),
    Column("organic_sessions", Integer, nullable=False),
    Column("organic_units", Integer, nullable=False),
    Column("messages", Integer, nullable=False),
    Column("message_clicks", Integer, nullable=False),
    Column("message_orders", Integer, nullable=False),
    Column("unsubscribes", Integer, nullable=False),
    Column("new_reviews", Integer, nullable=False),
    info={BOOKKEEPING: True},
)
"""The day's true money: `revenue = gross − discounts`; `profit = gross − COGS − spend − discounts − fees −
holding − messaging`."""

sim_campaign_days = Table(
    "sim_campaign_days",
    metadata,
    Column("campaign_id", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("spend_minor", Integer, nullable=False),
    Column("impressions", Integer, nullable=False),
    Column("clicks", Integer, nullable=False),
    Column("direct_minor", Integer, nullable=False),
    Column("halo_minor", Integer, nullable=False),
    Column("incremental_minor", Integer, nullable=False),
    Column("attributed_minor", Integer, nullable=False),
    info={BOOKKEEPING: True},
)
"""Per campaign and day: true incremental revenue (direct response + brand halo) next to what the platform
reports (`attributed_minor`)."""

SIM_TABLES = (
    sim_market,
    sim_product_truth,
    sim_campaign_truth,
    sim_state,
    sim_effects,
    sim_campaigns,
    sim_skus,
    sim_ledger,
    sim_campaign_days,
)


def create_sim_tables(engine: Engine) -> None:
    """Create the simulator's tables on a store that predates them (no-op when present)."""
    for table in SIM_TABLES:
        table.create(engine, checkfirst=True)
