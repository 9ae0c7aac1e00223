"""spend_caps: budget moves within the per-change %, the all-platform daily cap and the horizon cap."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from cadencia.tools.money import format_minor
from cadencia.tools.names import Ads
from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import BUDGET_TOOLS, int_arg, str_arg
from cadencia.tools.policy.checks._lookups import action_campaign, tightest_cap
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.registry import check


class SpendCapsParams(CheckParams):
    max_change_pct: int | None = Field(None, ge=1, le=1000, description="Tightens goal max_budget_change_pct.")
    daily_cap_minor: int | None = Field(None, ge=0, description="Tightens goal daily_spend_cap_minor.")
    total_cap_minor: int | None = Field(None, ge=0, description="Tightens goal total_spend_cap_minor.")
    when_unknown: Unknown = "require_approval"


@dataclass(frozen=True)
class _Move:
    campaign_id: str | None
    old: int
    new: int
    active_before: bool
    active_after: bool


@check("spend_caps", params=SpendCapsParams, clamps=True, guards=BUDGET_TOOLS)
async def spend_caps(action: ProposedAction, ctx: CheckContext[SpendCapsParams]) -> Verdict | None:
    """Budget increases, resumes, launches and new campaigns stay within the goal's spend caps."""
    if action.tool not in BUDGET_TOOLS:
        return None
    move = await _move(action, ctx)
    if isinstance(move, Verdict) or move is None:
        return move
    currency = ctx.goal.constraints.currency
    reasons: list[str] = []
    target = move.new
    low, high = 0, move.new
    max_pct = tightest_cap(ctx.params.max_change_pct, ctx.goal.constraints.max_budget_change_pct)
    if action.tool == Ads.SET_BUDGET and max_pct is not None and move.new != move.old:
        allowed = move.old * max_pct // 100
        low, high = move.old - allowed, move.old + allowed
        if not low <= move.new <= high:
            reasons.append(f"change {move.old} -> {move.new} exceeds {max_pct}% per change")
            target = min(max(move.new, low), high)
    before_total = move.old if move.active_before else 0
    after_total = move.new if move.active_after else 0
    if after_total > before_total:
        capped = await _daily_headroom(ctx, move, currency)
        if isinstance(capped, Verdict):
            return capped
        if capped is not None:
            headroom, cap_label = capped
            if after_total > headroom:
                over = format_minor(after_total - headroom, currency)
                reasons.append(f"active daily budgets would exceed {cap_label} by {over}")
                target = min(target, headroom)
    if not reasons:
        return None
    useful = target != move.new and (target != move.old or action.tool == Ads.CREATE_CAMPAIGN)
    can_clamp = action.tool in (Ads.SET_BUDGET, Ads.CREATE_CAMPAIGN) and target >= max(low, 1) and useful
    clamped = {**action.args, "daily_budget_minor": target} if can_clamp else None
    suffix = f"; clamped to {format_minor(target, currency)}" if can_clamp else ""
    return ctx.violation("; ".join(reasons) + suffix, clamped_args=clamped)


async def _move(action: ProposedAction, ctx: CheckContext[SpendCapsParams]) -> _Move | Verdict | None:
    """The budget before and after the action, or a verdict when it cannot be judged."""
    goal_currency = ctx.goal.constraints.currency
    if action.tool == Ads.CREATE_CAMPAIGN:
        new = int_arg(action.args, "daily_budget_minor")
        currency = str_arg(action.args, "currency")
        if new is None or currency is None:
            return ctx.deny("malformed: ads_create_campaign needs integer daily_budget_minor and currency")
        if currency != goal_currency:
            return ctx.deny(f"campaign currency {currency} differs from the goal's {goal_currency}")
        return _Move(campaign_id=None, old=0, new=new, active_before=False, active_after=True)
    campaign = await action_campaign(action, ctx.facts)
    if campaign is None:
        return ctx.unknown(f"campaign {action.args.get('campaign_id')!r} is not in the facts", ctx.params.when_unknown)
    if campaign.currency != goal_currency:
        return ctx.deny(f"campaign {campaign.id} is in {campaign.currency}, the goal's caps are in {goal_currency}")
    active = campaign.status == "active"
    if action.tool == Ads.SET_BUDGET:
        new = int_arg(action.args, "daily_budget_minor")
        if new is None or new < 0:
            return ctx.deny("malformed: ads_set_budget needs a non-negative integer daily_budget_minor")
        given = action.args.get("currency", campaign.currency)
        if given != campaign.currency:
            return ctx.deny(f"budget currency {given} differs from campaign {campaign.id}'s {campaign.currency}")
        return _Move(campaign.id, campaign.daily_budget_minor, new, active, active)
    if active:
        return None
    return _Move(campaign.id, campaign.daily_budget_minor, campaign.daily_budget_minor, False, True)


async def _daily_headroom(
    ctx: CheckContext[SpendCapsParams], move: _Move, currency: str
) -> tuple[int, str] | Verdict | None:
    """Largest daily budget this campaign may have under the tightest cap, and that cap's name; None if uncapped."""
    constraints = ctx.goal.constraints
    caps: list[tuple[int, str]] = []
    daily = tightest_cap(ctx.params.daily_cap_minor, constraints.daily_spend_cap_minor)
    if daily is not None:
        caps.append((daily, f"the daily cap {format_minor(daily, currency)}"))
    total = tightest_cap(ctx.params.total_cap_minor, constraints.total_spend_cap_minor)
    if total is not None:
        days = ctx.goal.kpi.horizon_days
        caps.append((total // days, f"the horizon cap {format_minor(total, currency)} over {days} days"))
    if not caps:
        return None
    active = await ctx.facts.active_campaigns()
    if active is None:
        return ctx.unknown("active campaigns are not in the facts", ctx.params.when_unknown)
    others = [c for c in active if c.id != move.campaign_id]
    foreign = sorted({c.currency for c in others if c.currency != currency})
    if foreign:
        return ctx.deny(f"active campaigns in {', '.join(foreign)} cannot be summed with {currency} caps")
    cap, label = min(caps)
    return cap - sum(c.daily_budget_minor for c in others), label
