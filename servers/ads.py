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
CampaignId = Annotated[str, Field(min_length=1, max_length=ID_MAX, description="Campaign id, e.g. CMP-ME000.")]
Budget = Annotated[
    int, Field(gt=0, le=100_000_000, description="Daily budget in minor units of the currency (15000 = 150.00).")
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO currency of the budget, e.g. EUR.")]


@tools.tool(Rv.READ, title="List campaigns")
async def list_campaigns(
    ctx: Context,
    platform: Annotated[Platform | None, Field(default=None, description="Only this platform.")] = None,
    status: Annotated[CampaignStatus | None, Field(default=None, description="Only this status.")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Campaign]:
    """Campaigns with platform, status, objective and daily budget, one page at a time."""
    return await backends(ctx).ads.list_campaigns(platform=platform, status=status, cursor=cursor, limit=limit)


@tools.tool(Rv.READ, title="Get campaign")
async def get_campaign(ctx: Context, campaign_id: CampaignId) -> Campaign:
    """One campaign, including the current daily budget that set_budget expects as expected_current_minor."""
    return await backends(ctx).ads.get_campaign(campaign_id=campaign_id)


@tools.tool(Rv.READ, title="Get budget limits")
async def get_budget_limits(ctx: Context) -> BudgetLimitsView:
    """The server's budget rules and headroom: max change %, minimum, per-platform and account caps on active spend."""
    return await backends(ctx).ads.get_budget_limits()


@tools.tool(Rv.READ, title="Get performance")
async def get_performance(
    ctx: Context,
    campaign_id: Annotated[
        str | None, Field(default=None, max_length=ID_MAX, description="One campaign; omit for a platform or all.")
    ] = None,
    platform: Annotated[Platform | None, Field(default=None, description="Every campaign on this platform.")] = None,
    days: Annotated[
        int, Field(default=28, ge=1, le=366, description="Last N days up to yesterday (ignored with since).")
    ] = 28,
    since: Annotated[Day | None, Field(default=None, description="First day (YYYY-MM-DD) instead of `days`.")] = None,
    until: Annotated[Day | None, Field(default=None, description="Last day (YYYY-MM-DD); default yesterday.")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> PerformanceReport:
    """Spend, impressions, clicks, conversions, platform-attributed revenue, CTR, CVR, CPA, ROAS over a window.

    Also MARGINAL ROAS (what the next euro returns, from how revenue moved with spend; trust its `quality`) and
    holdout LIFT where a campaign has a holdout. Decide budget moves on marginal ROAS and lift, not average ROAS:
    a saturated campaign has a good average and a poor margin. Omit campaign_id and platform for all campaigns.
    """
    return await backends(ctx).ads.get_performance(
        campaign_id=campaign_id, platform=platform, days=days, since=since, until=until, cursor=cursor, limit=limit
    )


@tools.tool(Rv.REVERSIBLE, title="Set daily budget", idempotent=True)
async def set_budget(
    ctx: Context,
    campaign_id: CampaignId,
    daily_budget_minor: Budget,
    currency: Currency,
    expected_current_minor: Annotated[
        int, Field(ge=0, description="The daily budget you read (get_campaign); refused if it changed since.")
    ],
    idempotency_key: IdempotencyKey = None,
) -> BudgetChange:
    """Change a campaign's daily budget with compare-and-set.

    Refused beyond the max change per call, below the minimum, in another currency, or when the active budgets
    would exceed the platform or account cap (see get_budget_limits). Returns previous and new budget and the totals.
    Reversible with undo; spend made meanwhile is not returned, so large increases deserve approval.
    """
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
    """Stop an active campaign's spend. Reversible with undo or resume_campaign (spend already made stays spent)."""
    return await backends(ctx).ads.pause_campaign(campaign_id=campaign_id, idempotency_key=idempotency_key)


@tools.tool(Rv.REVERSIBLE, title="Resume campaign", idempotent=True)
async def resume_campaign(
    ctx: Context, campaign_id: CampaignId, idempotency_key: IdempotencyKey = None
) -> CampaignChange:
    """Restart a paused campaign. Its budget counts against the caps again, so it is refused if it would exceed them.

    Reversible with undo.
    """
    return await backends(ctx).ads.resume_campaign(campaign_id=campaign_id, idempotency_key=idempotency_key)


@tools.tool(Rv.REVERSIBLE, title="Create campaign (draft)", additive=True)
async def create_campaign(
    ctx: Context,
    platform: Annotated[Platform, Field(description="Ad platform.")],
    name: Annotated[str, Field(min_length=1, max_length=200, description="Campaign name.")],
    objective: Annotated[Objective, Field(description="What the platform optimises for.")],
    daily_budget_minor: Budget,
    currency: Currency,
    sku: Annotated[
        str | None, Field(default=None, max_length=32, description="Product to advertise; omit for brand-wide.")
    ] = None,
    holdout_pct: Annotated[
        int, Field(default=0, ge=0, le=50, description="Audience % held out so lift can be measured (10 is typical).")
    ] = 0,
    idempotency_key: IdempotencyKey = None,
) -> CampaignChange:
    """Create a DRAFT campaign. Nothing is spent until launch_campaign. Reversible with undo."""
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
    """Launch a draft campaign: it starts spending. COMPENSABLE: get approval first.

    pause_campaign stops further spend but money spent cannot be unspent. Refused over the caps or out of stock.
    """
    return await backends(ctx).ads.launch_campaign(campaign_id=campaign_id, idempotency_key=idempotency_key)


@tools.tool(Rv.READ, title="List claims")
async def list_claims(
    ctx: Context,
    approved_only: Annotated[
        bool, Field(default=True, description="Only approved claims; false also lists refused ones.")
    ] = True,
    category: Annotated[str | None, Field(default=None, max_length=32, description="e.g. safety, offer.")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Claim]:
    """The approved-claims library: the only promises ad copy may make. Cite their ids in create_creative."""
    return await backends(ctx).ads.list_claims(
        approved_only=approved_only, category=category, cursor=cursor, limit=limit
    )


@tools.tool(Rv.READ, title="List creatives")
async def list_creatives(
    ctx: Context,
    campaign_id: Annotated[
        str | None, Field(default=None, max_length=ID_MAX, description="Only this campaign.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Creative]:
    """Ad creatives with their claims and AI-generated flag."""
    return await backends(ctx).ads.list_creatives(campaign_id=campaign_id, cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Create creative", additive=True)
async def create_creative(
    ctx: Context,
    campaign_id: CampaignId,
    headline: Annotated[str, Field(min_length=1, max_length=200, description="Ad headline.")],
    body: Annotated[str, Field(min_length=1, max_length=2000, description="Ad body copy.")],
    ai_generated: Annotated[
        bool, Field(description="True if an AI wrote or substantially edited this copy; it is disclosed as such.")
    ],
    claim_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]],
        Field(max_length=20, description="Ids of the approved claims the copy makes (list_claims); [] for none."),
    ],
    idempotency_key: IdempotencyKey = None,
) -> CreativeChange:
    """Add ad copy to a campaign. Only approved claims may be used; AI-generated copy must be declared.

    Refused when a claim id is unknown or unapproved, or the copy repeats an unapproved claim. Reversible with undo.
    """
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
    """A/B experiments between campaigns, with their status."""
    return await backends(ctx).ads.list_experiments(cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Start experiment", additive=True)
async def start_experiment(
    ctx: Context,
    name: Annotated[str, Field(min_length=1, max_length=200, description="What is being tested.")],
    campaign_a: CampaignId,
    campaign_b: CampaignId,
    metric: Annotated[ExperimentMetric, Field(description="Metric to compare: roas, cpa (lower wins), ctr or cvr.")],
    days: Annotated[int, Field(ge=1, le=90, description="Planned duration in days, starting today.")],
    idempotency_key: IdempotencyKey = None,
) -> ExperimentChange:
    """Start an A/B comparison of two campaigns on the SAME platform (platforms attribute revenue differently).

    A campaign can be in one running experiment at a time. Reversible with undo.
    """
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
    experiment_id: Annotated[str, Field(min_length=1, max_length=16, description="Experiment id, e.g. EXP-000001.")],
) -> ExperimentReport:
    """Per-arm figures so far and a significance test on the experiment's metric (p < 0.05 names the better arm)."""
    return await backends(ctx).ads.get_experiment(experiment_id=experiment_id)


@tools.tool(Rv.REVERSIBLE, title="Undo an ads change")
async def undo(ctx: Context, token: UndoToken, idempotency_key: IdempotencyKey = None) -> UndoResult:
    """Restore exactly what one reversible ads call changed. Refused if the entity changed since or caps would break."""
    return await backends(ctx).ads.undo(token=token, idempotency_key=idempotency_key)
