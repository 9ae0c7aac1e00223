"""Ads domain models: campaigns, budgets and caps, performance with marginal ROAS and lift, creatives, experiments."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from cadencia.tools.money import Currency
from cadencia.tools.untrusted import UNTRUSTED_MARK

ATTRIBUTED = (
    "Platform-attributed: what the ad platform claims, which over-credits ads (it counts sales that would have "
    "happened anyway); use lift for incrementality."
)


class Platform(StrEnum):
    META = "meta"
    GOOGLE = "google"
    TIKTOK = "tiktok"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"


class Objective(StrEnum):
    CONVERSIONS = "conversions"
    TRAFFIC = "traffic"
    AWARENESS = "awareness"


class Campaign(BaseModel):
    id: str
    platform: Platform
    name: str = Field(description="Set by whoever created it (untrusted text).", json_schema_extra=UNTRUSTED_MARK)
    status: CampaignStatus
    objective: Objective
    currency: Currency
    daily_budget_minor: int = Field(description="Daily budget in minor units of `currency`.")
    sku: str | None = Field(description="Product the campaign advertises; null for brand-wide campaigns.")
    holdout_pct: int = Field(description="Percent of the audience held out from ads, so lift can be measured.")
    created_on: date


class ActiveTotals(BaseModel):
    """Sums of ACTIVE campaigns' daily budgets against the server's caps, after the call."""

    currency: Currency
    platform: Platform
    platform_active_minor: int = Field(description="Sum of active daily budgets on this platform.")
    platform_cap_minor: int
    account_active_minor: int = Field(description="Sum of active daily budgets on every platform.")
    account_cap_minor: int


class BudgetChange(BaseModel):
    campaign_id: str
    currency: Currency
    previous_daily_budget_minor: int
    daily_budget_minor: int
    totals: ActiveTotals
    shared_with: list[str] = Field(
        default_factory=list,
        description="Other campaigns spending from the same shared budget: this one edit changed them too.",
    )
    undo_token: str | None = None


class CampaignChange(BaseModel):
    campaign: Campaign
    previous: Campaign | None = Field(description="The campaign before this call; null when it was just created.")
    totals: ActiveTotals
    note: str | None = Field(default=None, description="What this change means for spend and how to offset it.")
    undo_token: str | None = None


class PlatformHeadroom(BaseModel):
    platform: Platform
    active_minor: int
    cap_minor: int
    headroom_minor: int = Field(description="How much more active daily budget this platform may take.")


class BudgetLimitsView(BaseModel):
    """The server-side budget rules every budget change is checked against."""

    currency: Currency = Field(description="Currency of every cap; campaigns in other currencies are refused.")
    max_change_pct: int = Field(description="Largest single budget change, % of the current budget.")
    min_daily_budget_minor: int
    account_active_minor: int
    account_cap_minor: int
    account_headroom_minor: int
    platforms: list[PlatformHeadroom]


# -- performance ------------------------------------------------------------------------------------------------


class Metrics(BaseModel):
    currency: Currency
    spend_minor: int
    impressions: int
    clicks: int
    conversions: int = Field(description="Platform-attributed conversions.")
    revenue_minor: int = Field(description=ATTRIBUTED)
    ctr: float | None = Field(description="clicks / impressions; null without impressions.")
    cvr: float | None = Field(description="conversions / clicks; null without clicks.")
    cpa_minor: int | None = Field(description="spend / conversions, minor units; null without conversions.")
    roas: float | None = Field(description="Average ROAS = attributed revenue / spend; null without spend.")


Quality = Literal["high", "medium", "low", "insufficient"]


class MarginalRoas(BaseModel):
    """Return on the NEXT unit of spend, estimated from how revenue moved with spend over the window."""

    method: str
    elasticity: float | None = Field(description="β: % change in revenue per 1% change in spend.")
    elasticity_se: float | None = Field(description="Standard error of β.")
    adstock_theta: float | None = Field(description="Carry-over of spend from one day to the next that fit best.")
    days_used: int
    spend_variation: float | None = Field(description="Std-dev of log daily spend; below 0.05 spend barely moved.")
    average_roas: float | None
    marginal_roas: float | None = Field(description="β × average ROAS; below 1 the next euro loses money (attributed).")
    marginal_roas_low: float | None = Field(description="Lower end of an approximate 95% interval.")
    marginal_roas_high: float | None = Field(description="Upper end of an approximate 95% interval.")
    quality: Quality = Field(description="How far to trust the estimate; do not act on 'low' or 'insufficient'.")
    note: str


class Lift(BaseModel):
    """Incrementality from the campaign's randomised holdout: exposed vs held-out conversion rates."""

    exposed_users: int
    exposed_conversions: int
    holdout_users: int
    holdout_conversions: int
    exposed_rate: float | None
    holdout_rate: float | None
    incremental_conversions: float | None = Field(
        description="Conversions the ads caused: exposed conversions − holdout rate × exposed users."
    )
    incremental_share: float | None = Field(description="Share of attributed conversions that were incremental.")
    relative_lift: float | None = Field(description="exposed_rate / holdout_rate − 1.")
    relative_lift_low: float | None = Field(description="95% interval (log relative risk), lower end.")
    relative_lift_high: float | None = Field(description="95% interval, upper end.")
    p_value: float | None = Field(description="Two-proportion z-test of exposed vs holdout rate.")
    note: str


class CampaignPerformance(BaseModel):
    campaign_id: str
    name: str
    platform: Platform
    status: CampaignStatus
    days_with_data: int
    metrics: Metrics
    marginal: MarginalRoas
    lift: Lift | None = Field(description="Null when the campaign has no holdout.")


class PerformanceReport(BaseModel):
    scope: str = Field(description="What was measured: a campaign id, a platform, or 'all'.")
    since: date
    until: date = Field(description="Last day included (data runs up to yesterday).")
    totals: Metrics | None = Field(description="Sum over every campaign in scope; null when they mix currencies.")
    marginal: MarginalRoas = Field(description="Scope-level mROAS: Σ βᵢ·revenueᵢ / Σ spendᵢ (all budgets scaled).")
    campaigns: list[CampaignPerformance] = Field(description="Per-campaign breakdown, one page.")
    next_cursor: str | None = Field(default=None, description="Cursor for the next page of the breakdown.")


# -- creatives and claims ---------------------------------------------------------------------------------------


class Claim(BaseModel):
    id: str
    text: str
    category: str
    language: str
    approved: bool = Field(description="Only approved claims may be used in ads and messages.")
    skus: list[str] = Field(description="SKUs the claim is valid for; empty means brand-wide.")


class Creative(BaseModel):
    id: str
    campaign_id: str
    headline: str
    body: str
    ai_generated: bool = Field(description="Declared AI-generated content (disclosed to the platform).")
    claim_ids: list[str]
    status: str
    created_on: date


class CreativeChange(BaseModel):
    creative: Creative
    undo_token: str | None = None


# -- experiments ------------------------------------------------------------------------------------------------


class ExperimentMetric(StrEnum):
    ROAS = "roas"
    CPA = "cpa"
    CTR = "ctr"
    CVR = "cvr"


class Experiment(BaseModel):
    id: str
    name: str
    campaign_a: str
    campaign_b: str
    metric: ExperimentMetric
    status: str = Field(description="running, or completed once ends_on has passed.")
    started_on: date
    ends_on: date


class ExperimentChange(BaseModel):
    experiment: Experiment
    undo_token: str | None = None


class ArmResult(BaseModel):
    campaign_id: str
    days_with_data: int
    metrics: Metrics
    value: float | None = Field(description="The experiment's metric for this arm over the period so far.")


class ExperimentReport(BaseModel):
    experiment: Experiment
    since: date
    until: date | None = Field(description="Last day with data; null before the first full day.")
    arm_a: ArmResult
    arm_b: ArmResult
    difference: float | None = Field(description="B − A on the metric.")
    relative_difference: float | None = Field(description="(B − A) / A.")
    test: str
    p_value: float | None
    significant: bool = Field(description="p < 0.05.")
    better: Literal["a", "b"] | None = Field(description="The better arm when significant (lower is better for cpa).")
    note: str
