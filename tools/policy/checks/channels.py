"""channels_allowed: the agent acts only on the ad platforms and messaging channels its goal allows."""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._lookups import action_channels
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.goal import Channel, Goal
from cadencia.tools.policy.registry import check
from cadencia.tools.reversibility import Reversibility


class ChannelsParams(CheckParams):
    allowed_channels: list[Channel] | None = Field(None, description="Narrows goal allowed_channels.")
    when_unknown: Unknown = "require_approval"


def allowed_channels(goal: Goal, narrowed: list[Channel] | None) -> set[str]:
    """The goal's channels, narrowed by a policy's list when it gives one (never widened)."""
    allowed = {c.value for c in goal.constraints.allowed_channels}
    if narrowed is not None:
        allowed &= {c.value for c in narrowed}
    return allowed


@check("channels_allowed", params=ChannelsParams)
async def channels_allowed(action: ProposedAction, ctx: CheckContext[ChannelsParams]) -> Verdict | None:
    """World-changing actions on a platform or channel outside the allowed list are refused."""
    if ctx.tool.reversibility is Reversibility.READ:
        return None
    channels = await action_channels(action, ctx.facts)
    if None in channels:
        return ctx.unknown("the channel or platform this action uses cannot be determined", ctx.params.when_unknown)
    allowed = allowed_channels(ctx.goal, ctx.params.allowed_channels)
    refused = sorted({c for c in channels if c is not None and c not in allowed})
    if not refused:
        return None
    return ctx.violation(f"channel {', '.join(refused)} is not allowed (allowed: {', '.join(sorted(allowed))})")
