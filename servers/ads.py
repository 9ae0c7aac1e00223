"""Ads MCP tools: thin wrappers over an `AdsBackend`."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from cadencia.servers.context import backends
from cadencia.servers.params import ID_MAX, Cursor, Day, IdempotencyKey, Limit, UndoToken
from cadencia.servers.toolset import ToolSet
from cadencia.tools.ads.models import (
    BudgetChange,
    BudgetLimitsView,
    Campaign,
    CampaignChange,
    CampaignStatus,
    Claim,
    Creative,
    CreativeChange,
    Experiment,
    ExperimentChange,
    ExperimentMetric,
    ExperimentReport,
    Objective,
    PerformanceReport,
    Platform,
)
from cadencia.tools.paging import Page
from cadencia.tools.reversibility import Reversibility as Rv
from cadencia.tools.undo import UndoResult

tools = ToolSet("ads")
CampaignId = Annotated[str, Field(min_length=1, max_length=ID_MAX)]
Budget = Annotated[int, Field(gt=0, le=100_000_000)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


@tools.tool(Rv.READ, title="List campaigns")
async def list_campaigns(
    ctx: Context,
    platform: Annotated[Platform | None, Field(default=None)] = None,
    status: Annotated[CampaignStatus | None, Field(default=None)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Campaign]:
    """Campaigns with platform, status, objective and daily budget."""
    return await backends(ctx).ads.list_campaigns(platform=platform, status=status, cursor=cursor, limit=limit)


@tools.tool(Rv.READ, title="Get campaign")
async def get_campaign(ctx: Context, campaign_id: CampaignId) -> Campaign:
    """One campaign, with the daily budget set_budget expects as expected_current_minor."""
    return await backends(ctx).ads.get_campaign(campaign_id=campaign_id)


@tools.tool(Rv.READ, title="Get budget limits")
async def get_budget_limits(ctx: Context) -> BudgetLimitsView:
    """Budget rules and headroom: max change %, minimum, platform and account caps."""
    return await backends(ctx).ads.get_budget_limits()


@tools.tool(Rv.READ, title="Get performance")
async def get_performance(
    ctx: Context,
    campaign_id: Annotated[str | None, Field(default=None, max_length=ID_MAX)] = None,
    platform: Annotated[Platform | None, Field(default=None)] = None,
    days: Annotated[int, Field(default=28, ge=1, le=366, description="Ignored with since.")] = 28,
    since: Annotated[Day | None, Field(default=None)] = None,
    until: Annotated[Day | None, Field(default=None)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> PerformanceReport:
    """Spend, platform-attributed revenue, ROAS, CPA per campaign, with MARGINAL ROAS and holdout LIFT to move budget
    on."""
    return await backends(ctx).ads.get_performance(
        campaign_id=campaign_id, platform=platform, days=days, since=since, until=until, cursor=cursor, limit=limit
    )


@tools.tool(Rv.REVERSIBLE, title="Set daily budget", idempotent=True)
async def set_budget(
    ctx: Context,
    campaign_id: CampaignId,
    daily_budget_minor: Budget,
    currency: Currency,
    expected_current_minor: Annotated[int, Field(ge=0)],
    idempotency_key: IdempotencyKey = None,
) -> BudgetChange:
    """Change a daily budget, compare-and-set on expected_current_minor; refused beyond max change or caps."""
    return await backends(ctx).ads.set_budget(
        campaign_id=campaign_id,
        daily_budget_minor=daily_budget_minor,
        currency=currency,
        expected_current_minor=expected_current_minor,
        idempotency_key=idempotency_key,
    )


@tools.tool(Rv.REVERSIBLE, title="Pause campaign", idempotent=True)
async def pause_campaign(
    ctx: Context, campaign_id: CampaignId, idempotency_key: IdempotencyKey = None
) -> CampaignChange:
    """Stop an active campaign's spend (money spent stays spent)."""
    return await backends(ctx).ads.pause_campaign(campaign_id=campaign_id, idempotency_key=idempotency_key)


@tools.tool(Rv.REVERSIBLE, title="Resume campaign", idempotent=True)
async def resume_campaign(
    ctx: Context, campaign_id: CampaignId, idempotency_key: IdempotencyKey = None
) -> CampaignChange:
    """Restart a paused campaign; refused if its budget would exceed the caps."""
    return await backends(ctx).ads.resume_campaign(campaign_id=campaign_id, idempotency_key=idempotency_key)


@tools.tool(Rv.REVERSIBLE, title="Create campaign (draft)", additive=True)
async def create_campaign(
    ctx: Context,
    platform: Annotated[Platform, Field()],
    name: Annotated[str, Field(min_length=1, max_length=200)],
    objective: Annotated[Objective, Field()],
    daily_budget_minor: Budget,
    currency: Currency,
    sku: Annotated[str | None, Field(default=None, max_length=32, description="Omit for brand-wide.")] = None,
    holdout_pct: Annotated[int, Field(default=0, ge=0, le=50, description="Held out for lift; 10 is typical.")] = 0,
    idempotency_key: IdempotencyKey = None,
) -> CampaignChange:
    """Create a DRAFT campaign; nothing is spent until launch_campaign."""
    return await backends(ctx).ads.create_campaign(
        platform=platform,
        name=name,
        objective=objective,
        daily_budget_minor=daily_budget_minor,
        currency=currency,
        sku=sku,
        holdout_pct=holdout_pct,
        idempotency_key=idempotency_key,
    )


@tools.tool(Rv.COMPENSABLE, title="Launch campaign", idempotent=True, open_world=True)
async def launch_campaign(
    ctx: Context, campaign_id: CampaignId, idempotency_key: IdempotencyKey = None
) -> CampaignChange:
    """Launch a draft campaign: it starts spending. COMPENSABLE: get approval first."""
    return await backends(ctx).ads.launch_campaign(campaign_id=campaign_id, idempotency_key=idempotency_key)


@tools.tool(Rv.READ, title="List claims")
async def list_claims(
    ctx: Context,
    approved_only: Annotated[bool, Field(default=True)] = True,
    category: Annotated[str | None, Field(default=None, max_length=32, description="e.g. safety, offer.")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Claim]:
    """Approved claims: the only promises ad copy may make; cite their ids in create_creative."""
    return await backends(ctx).ads.list_claims(
        approved_only=approved_only, category=category, cursor=cursor, limit=limit
    )


@tools.tool(Rv.READ, title="List creatives")
async def list_creatives(
    ctx: Context,
    campaign_id: Annotated[str | None, Field(default=None, max_length=ID_MAX)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Creative]:
    """Ad creatives per campaign with their claims and AI-generated flag."""
    return await backends(ctx).ads.list_creatives(campaign_id=campaign_id, cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Create creative", additive=True)
async def create_creative(
    ctx: Context,
    campaign_id: CampaignId,
    headline: Annotated[str, Field(min_length=1, max_length=200)],
    body: Annotated[str, Field(min_length=1, max_length=2000)],
    ai_generated: Annotated[bool, Field(description="True if an AI wrote or edited it.")],
    claim_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]],
        Field(max_length=20, description="[] if none."),
    ],
    idempotency_key: IdempotencyKey = None,
) -> CreativeChange:
    """Add ad copy to a campaign: approved claim ids only, AI-written copy declared."""
    return await backends(ctx).ads.create_creative(
        campaign_id=campaign_id,
        headline=headline,
        body=body,
        ai_generated=ai_generated,
        claim_ids=claim_ids,
        idempotency_key=idempotency_key,
    )


@tools.tool(Rv.READ, title="List experiments")
async def list_experiments(ctx: Context, cursor: Cursor = None, limit: Limit = 20) -> Page[Experiment]:
    """A/B experiments with their status; get_experiment has the results."""
    return await backends(ctx).ads.list_experiments(cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Start experiment", additive=True)
async def start_experiment(
    ctx: Context,
    name: Annotated[str, Field(min_length=1, max_length=200)],
    campaign_a: CampaignId,
    campaign_b: CampaignId,
    metric: Annotated[ExperimentMetric, Field(description="For cpa, lower wins.")],
    days: Annotated[int, Field(ge=1, le=90)],
    idempotency_key: IdempotencyKey = None,
) -> ExperimentChange:
    """A/B test two campaigns on the SAME platform (one running experiment per campaign)."""
    return await backends(ctx).ads.start_experiment(
        name=name,
        campaign_a=campaign_a,
        campaign_b=campaign_b,
        metric=metric,
        days=days,
        idempotency_key=idempotency_key,
    )


@tools.tool(Rv.READ, title="Get experiment")
async def get_experiment(
    ctx: Context,
    experiment_id: Annotated[str, Field(min_length=1, max_length=16)],
) -> ExperimentReport:
    """Per-arm figures and a significance test (p < 0.05 names the better arm)."""
    return await backends(ctx).ads.get_experiment(experiment_id=experiment_id)


@tools.tool(Rv.REVERSIBLE, title="Undo an ads change")
async def undo(ctx: Context, token: UndoToken, idempotency_key: IdempotencyKey = None) -> UndoResult:
    """Restore what one reversible ads call changed; refused if stale or over the caps."""
    return await backends(ctx).ads.undo(token=token, idempotency_key=idempotency_key)
