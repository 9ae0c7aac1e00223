"""consent_and_frequency: customer messages go to a known audience, on allowed channels, within the contact cap.

Servers enforce consent, suppression and frequency caps themselves; this is the layer in front of them.
"""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import MESSAGING_TOOLS, is_dry_run
from cadencia.tools.policy.checks._lookups import action_channels, action_reach, tightest_cap
from cadencia.tools.policy.checks.channels import allowed_channels
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.goal import Channel
from cadencia.tools.policy.registry import check


class ConsentParams(CheckParams):
    max_contacts_messaged: int | None = Field(None, ge=0, description="Tightens autonomy max_contacts_messaged.")
    allowed_channels: list[Channel] | None = Field(None, description="Narrows goal allowed_channels.")
    when_unknown: Unknown = "require_approval"


@check("consent_and_frequency", params=ConsentParams, guards=MESSAGING_TOOLS)
async def consent_and_frequency(action: ProposedAction, ctx: CheckContext[ConsentParams]) -> Verdict | None:
    """Sends and review requests: known reach, allowed channel, and run contacts within the cap."""
    if action.tool not in MESSAGING_TOOLS or is_dry_run(action.args):
        return None
    channels = await action_channels(action, ctx.facts)
    if not channels or None in channels:
        return ctx.unknown("the channel of this send cannot be determined", ctx.params.when_unknown)
    allowed = allowed_channels(ctx.goal, ctx.params.allowed_channels)
    refused = sorted({c for c in channels if c is not None and c not in allowed})
    if refused:
        return ctx.deny(f"channel {', '.join(refused)} is not allowed for customer messages")
    reach = await action_reach(action, ctx.facts)
    if reach is None:
        return ctx.unknown("the number of recipients (segment reach) is not known", ctx.params.when_unknown)
    cap = tightest_cap(ctx.params.max_contacts_messaged, ctx.goal.autonomy.max_contacts_messaged)
    already = ctx.totals.contacts_messaged
    if cap is None or already + reach <= cap:
        return None
    return ctx.violation(f"{reach} recipients after {already} already messaged exceeds the run's cap of {cap}")
