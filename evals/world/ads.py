"""One day of paid media: delivery, CPM and clicks, adstock + Hill true response, platform-reported figures."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, insert, select, update

from cadencia.evals.world import params as p
from cadencia.evals.world.draws import binomial_at, poisson_at
from cadencia.evals.world.effects import Effects
from cadencia.evals.world.response import click_rate, cpm_minor, cpm_season, direct_response, platform_rates
from cadencia.evals.world.tables import sim_campaign_truth, sim_campaigns, sim_state
from cadencia.tools.ads.tables import ad_performance, campaigns
from cadencia.tools.fx import account_currency, from_account_minor, read_rates, to_account_minor
from cadencia.tools.inventory.tables import stock
from cadencia.tools.seed import MarketSpec
from cadencia.tools.seed.rand import stream

AWARENESS_HALF = "brand_awareness_half"
TRUTH = [c for c in sim_campaign_truth.c if c.name != "campaign_id"]
CAMPAIGNS = (
    select(campaigns, *TRUTH)
    .join(sim_campaign_truth, sim_campaign_truth.c.campaign_id == campaigns.c.id)
    .order_by(campaigns.c.id)
)
CARRIES = select(sim_campaigns.c.campaign_id, sim_campaigns.c.spend_carry, sim_campaigns.c.brand_carry)
SELLABLE = (
    select(stock.c.sku, func.sum(stock.c.on_hand - stock.c.reserved))
    .where(stock.c.sku.in_(bindparam("skus", expanding=True)))
    .group_by(stock.c.sku)
)
HALF = select(sim_state.c.value).where(sim_state.c.key == AWARENESS_HALF)
SAVE_CARRY = (
    update(sim_campaigns)
    .where(sim_campaigns.c.campaign_id == bindparam("b_id"))
    .values(spend_carry=bindparam("b_spend"), brand_carry=bindparam("b_brand"))
)


@dataclass(frozen=True)
class CampaignDay:
    """A campaign's day: what it bought, and the true (direct, shelf-price) revenue it caused."""

    campaign_id: str
    platform: str
    sku: str | None
    spend: int
    """In minor units of the account currency (what the books and every cap compare)."""
    impressions: int
    clicks: int
    direct: float
    attributed: int
    brand_carry: float
    native_spend: int = 0
    """In minor units of the campaign's own currency (what its platform reports)."""
    to_native: Callable[[int], int] = int
    """Account-currency minor units to the campaign's currency (for the platform's reported revenue)."""


@dataclass(frozen=True)
class AdsDay:
    campaigns: tuple[CampaignDay, ...]
    awareness_half: float

    @property
    def awareness(self) -> float:
        return sum(c.brand_carry for c in self.campaigns)

    def spend_by_platform(self) -> dict[str, int]:
        spend: dict[str, int] = {}
        for c in sorted(self.campaigns, key=lambda c: c.platform):
            spend[c.platform] = spend.get(c.platform, 0) + c.spend
        return spend

    def direct_by_sku(self) -> dict[str, float]:
        """Direct response of single-SKU campaigns, by SKU (cents at shelf price)."""
        by_sku: dict[str, float] = {}
        for c in self.campaigns:
            if c.sku is not None:
                by_sku[c.sku] = by_sku.get(c.sku, 0.0) + c.direct
        return by_sku

    def direct_general(self) -> float:
        """Direct response of catalog-wide campaigns, spread over SKUs by demand."""
        return sum(c.direct for c in self.campaigns if c.sku is None)


def simulate_ads(conn: Connection, seed: int, day: date, effects: Effects, market: MarketSpec) -> AdsDay:
    """Run every campaign for `day`, write the platforms' `ad_performance` rows and the carried adstock."""
    iso = day.isoformat()
    rows = conn.execute(CAMPAIGNS).mappings().all()
    carried = _carries(conn, day, [r["id"] for r in rows])
    half = _awareness_half(conn, carried)
    skus = sorted({r["sku"] for r in rows if r["sku"] is not None})
    sellable = dict(conn.execute(SELLABLE, {"skus": skus}).all())
    season = cpm_season(market, day)
    account, rates = account_currency(conn), read_rates(conn)
    results: list[CampaignDay] = []
    reports: list[dict[str, Any]] = []
    for row in rows:
        rng = stream(seed, "sim", iso, "ads", row["id"])
        in_stock = row["sku"] is None or (sellable.get(row["sku"]) or 0) > 0
        factor = season * effects.cpm(row["platform"])
        money = _Money(row["currency"], account, rates)
        today, spend_carry = _deliver(market, row, rng, factor, carried[row["id"]], in_stock, money)
        results.append(today)
        carried[row["id"]] = (spend_carry, today.brand_carry)
        if today.native_spend > 0:
            reports.append(_report(market, (rng.random(), rng.random()), row, iso, today))
    if reports:
        conn.execute(insert(ad_performance), reports)
    if carried:
        conn.execute(SAVE_CARRY, [{"b_id": cid, "b_spend": s, "b_brand": b} for cid, (s, b) in carried.items()])
    return AdsDay(tuple(results), half)


def _deliver(
    market: MarketSpec,
    row: RowMapping,
    rng: random.Random,
    cpm_factor: float,
    carry: tuple[float, float],
    in_stock: bool,
    money: _Money,
) -> tuple[CampaignDay, float]:
    """Spend, impressions and clicks; the adstocked true response (0 when its SKU is out of stock); new spend carry.
    The market works in the account currency: a campaign billed in another one spends its budget converted."""
    delivery, noise, u_clicks = rng.uniform(*market.delivery), rng.uniform(*market.attribution_noise), rng.random()
    native = round(row["daily_budget_minor"] * delivery) if row["status"] == "active" else 0
    spend = money.to_account(native)
    saturation, theta = row["saturation_minor"], row["adstock_theta"]
    rates = platform_rates(market, row["platform"])
    impressions = round(1000 * spend / cpm_minor(rates, spend, saturation, cpm_factor)) if spend else 0
    spend_carry = spend + theta * carry[0]
    response = direct_response(spend_carry, theta, row["response_max_minor"], saturation, row["hill_alpha"])
    direct = response if in_stock else 0.0
    today = CampaignDay(
        campaign_id=row["id"],
        platform=row["platform"],
        sku=row["sku"],
        spend=spend,
        impressions=impressions,
        clicks=binomial_at(u_clicks, impressions, click_rate(rates, impressions, saturation)),
        direct=direct,
        attributed=round(direct * row["attribution_inflation"] * noise),
        brand_carry=impressions / 1000 + p.BRAND_THETA * carry[1],
        native_spend=native,
        to_native=money.to_native,
    )
    return today, spend_carry


@dataclass(frozen=True)
class _Money:
    """Conversions between a campaign's currency and the account's, at the world's Decimal rates."""

    currency: str
    account: str
    rates: Mapping[str, Decimal]

    def to_account(self, amount_minor: int) -> int:
        return to_account_minor(amount_minor, self.currency, self.account, self.rates)

    def to_native(self, amount_minor: int) -> int:
        return from_account_minor(amount_minor, self.currency, self.account, self.rates)


def prime_campaigns(conn: Connection, day: date) -> None:
    """Start every campaign's adstock from its history and fix the brand awareness half point, before any event."""
    _awareness_half(conn, _carries(conn, day, list(conn.execute(select(campaigns.c.id)).scalars())))


def _report(
    market: MarketSpec, uniforms: tuple[float, float], row: RowMapping, iso: str, day: CampaignDay
) -> dict[str, Any]:
    """Platform figures: conversions match the (inflated) attributed value; the holdout reveals the true lift."""
    u_conversions, u_holdout = uniforms
    conversions = poisson_at(u_conversions, day.attributed / market.aov_minor)
    exposed = holdout_users = holdout_conversions = 0
    if row["holdout_pct"] > 0:
        exposed = day.impressions // market.impressions_per_user
        holdout_users = exposed * row["holdout_pct"] // (100 - row["holdout_pct"])
        baseline = day.direct * (row["attribution_inflation"] - 1) / market.aov_minor
        holdout_conversions = poisson_at(u_holdout, holdout_users * baseline / exposed) if exposed else 0
    return {
        "campaign_id": row["id"],
        "day": iso,
        "spend_minor": day.native_spend,
        "impressions": day.impressions,
        "clicks": day.clicks,
        "conversions": conversions,
        "revenue_minor": day.to_native(day.attributed),
        "holdout_users": holdout_users,
        "holdout_conversions": holdout_conversions,
        "exposed_users": exposed,
    }


def _carries(conn: Connection, day: date, ids: list[str]) -> dict[str, tuple[float, float]]:
    """(spend adstock, brand adstock) per campaign; campaigns seen for the first time replay their history."""
    carried = {cid: (spend, brand) for cid, spend, brand in conn.execute(CARRIES).all()}
    missing = [cid for cid in ids if cid not in carried]
    if not missing:
        return carried
    truth = sim_campaign_truth.c
    thetas = dict(
        conn.execute(select(truth.campaign_id, truth.adstock_theta).where(truth.campaign_id.in_(missing))).all()
    )
    history = conn.execute(
        select(ad_performance.c.campaign_id, ad_performance.c.spend_minor, ad_performance.c.impressions)
        .where(ad_performance.c.campaign_id.in_(missing), ad_performance.c.day < day.isoformat())
        .order_by(ad_performance.c.campaign_id, ad_performance.c.day)
    ).all()
    fresh = dict.fromkeys(missing, (0.0, 0.0))
    for cid, spend, impressions in history:
        spend_carry, brand_carry = fresh[cid]
        fresh[cid] = (spend + thetas[cid] * spend_carry, impressions / 1000 + p.BRAND_THETA * brand_carry)
    conn.execute(
        insert(sim_campaigns),
        [{"campaign_id": cid, "spend_carry": s, "brand_carry": b} for cid, (s, b) in fresh.items()],
    )
    return carried | fresh


def _awareness_half(conn: Connection, carried: Mapping[str, tuple[float, float]]) -> float:
    """Brand awareness Hill half point: the awareness the world started with (fixed on the first day)."""
    half = conn.execute(HALF).scalar()
    if half is None:
        half = max(1.0, sum(brand for _, brand in carried.values()))
        conn.execute(insert(sim_state).values(key=AWARENESS_HALF, value=half))
    return float(half)
