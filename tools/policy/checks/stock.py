"""stock_aware_promotion: never promote or advertise a SKU that is about to run out."""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.names import Ads, Inventory
from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import ACTIVATING_TOOLS, DEMAND_TOOLS, int_arg, str_arg
from cadencia.tools.policy.checks._lookups import action_campaign, tightest_floor
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.registry import check


class StockAwareParams(CheckParams):
    stock_cover_floor_days: float | None = Field(None, ge=0, description="Raises goal stock_cover_floor_days.")
    when_unknown: Unknown = "require_approval"


@check("stock_aware_promotion", params=StockAwareParams, guards=DEMAND_TOOLS)
async def stock_aware_promotion(action: ProposedAction, ctx: CheckContext[StockAwareParams]) -> Verdict | None:
    """Promotions, budget increases, resumes and launches for a SKU need stock cover above the floor."""
    sku = await _promoted_sku(action, ctx)
    if isinstance(sku, Verdict) or sku is None:
        return sku
    floor = tightest_floor(ctx.params.stock_cover_floor_days, ctx.goal.constraints.stock_cover_floor_days) or 0.0
    cover = await ctx.facts.stock_cover_days(sku)
    if cover is None:
        return ctx.unknown(f"stock cover of {sku} is not in the facts", ctx.params.when_unknown)
    if cover >= floor:
        return None
    return ctx.violation(f"{sku} has {cover:.1f} days of cover, below the floor of {floor:g} days")


async def _promoted_sku(action: ProposedAction, ctx: CheckContext[StockAwareParams]) -> str | Verdict | None:
    """The SKU the action would push demand for, None when it pushes none."""
    if action.tool in (Inventory.SCHEDULE_PROMOTION, Ads.CREATE_CAMPAIGN):
        return str_arg(action.args, "sku")
    if action.tool not in (Ads.SET_BUDGET, *ACTIVATING_TOOLS):
        return None
    campaign = await action_campaign(action, ctx.facts)
    if campaign is None:
        reason = f"campaign {action.args.get('campaign_id')!r} is not in the facts"
        return ctx.unknown(reason, ctx.params.when_unknown)
    if action.tool == Ads.SET_BUDGET:
        new = int_arg(action.args, "daily_budget_minor")
        if new is not None and new <= campaign.daily_budget_minor:
            return None
    return campaign.sku
