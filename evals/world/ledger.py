"""Writing the day's true money (hidden ledger) and each campaign's true incremental revenue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, insert

from cadencia.evals.world import params as p
from cadencia.evals.world.ads import AdsDay, CampaignDay
from cadencia.evals.world.messaging import MessagingDay
from cadencia.evals.world.response import brand_multiplier
from cadencia.evals.world.sales import SalesDay
from cadencia.evals.world.tables import sim_campaign_days, sim_ledger


@dataclass(frozen=True)
class Books:
    """The figures of the day's ledger row that the day report repeats."""

    revenue_minor: int
    gross_profit_minor: int
    profit_minor: int


def write_ledger(conn: Connection, day: date, ads: AdsDay, crm: MessagingDay, sales: SalesDay) -> Books:
    """One `sim_ledger` row for the day and one `sim_campaign_days` row per campaign."""
    iso = day.isoformat()
    revenue = sales.gross_minor - sales.discounts_minor
    spend = sum(c.spend for c in ads.campaigns)
    fees = round(revenue * p.PAYMENT_FEE)
    holding = round(sales.holding_minor)
    messaging = round(crm.cost_minor)
    profit = revenue - sales.cogs_minor - spend - fees - holding - messaging
    conn.execute(
        insert(sim_ledger),
        dict(
            day=iso,
            units=sales.units,
            lost_units=sales.lost_units,
            gross_minor=sales.gross_minor,
            discounts_minor=sales.discounts_minor,
            revenue_minor=revenue,
            cogs_minor=sales.cogs_minor,
            ad_spend_minor=spend,
            fees_minor=fees,
            holding_minor=holding,
            messaging_minor=messaging,
            profit_minor=profit,
            sessions=sales.organic_sessions + sum(c.clicks for c in ads.campaigns) + crm.clicks,
            organic_sessions=sales.organic_sessions,
            organic_units=sales.organic_units,
            messages=crm.delivered,
            message_clicks=crm.clicks,
            message_orders=crm.orders,
            unsubscribes=crm.unsubscribes,
            new_reviews=sales.new_reviews,
        ),
    )
    if ads.campaigns:
        conn.execute(insert(sim_campaign_days), [_campaign_row(iso, c, ads, sales) for c in ads.campaigns])
    return Books(revenue_minor=revenue, gross_profit_minor=revenue - sales.cogs_minor, profit_minor=profit)


def _campaign_row(iso: str, c: CampaignDay, ads: AdsDay, sales: SalesDay) -> dict[str, object]:
    """Direct response at the day's real prices and stock, plus the brand halo: the organic revenue that would
    vanish without this campaign's share of awareness."""
    realized = sales.realization.get(c.sku, 0.0) if c.sku is not None else sales.general_realization
    awareness = ads.awareness
    with_all = brand_multiplier(awareness, ads.awareness_half)
    without = brand_multiplier(max(0.0, awareness - c.brand_carry), ads.awareness_half)
    direct = round(c.direct * realized)
    halo = round(sales.organic_revenue * (with_all - without) / with_all)
    return {
        "campaign_id": c.campaign_id,
        "day": iso,
        "platform": c.platform,
        "spend_minor": c.spend,
        "impressions": c.impressions,
        "clicks": c.clicks,
        "direct_minor": direct,
        "halo_minor": halo,
        "incremental_minor": direct + halo,
        "attributed_minor": c.attributed,
    }
