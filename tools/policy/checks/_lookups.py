"""Lookups several checks share: the campaign, channels, reach and budget move of an action, and limit merging."""

from __future__ import annotations

from typing import TypeVar

from cadencia.tools.names import Ads
from cadencia.tools.policy.actions import ProposedAction
from cadencia.tools.policy.checks._args import ACTIVATING_TOOLS, int_arg, is_dry_run, str_arg, str_list_arg
from cadencia.tools.policy.facts import CampaignFacts, Facts

N = TypeVar("N", int, float)


def tightest_cap(*limits: N | None) -> N | None:
    """The smallest of the given upper limits (policy may tighten a goal's cap, never loosen it)."""
    given = [v for v in limits if v is not None]
    return min(given) if given else None


def tightest_floor(*limits: N | None) -> N | None:
    """The largest of the given lower limits."""
    given = [v for v in limits if v is not None]
    return max(given) if given else None


async def action_campaign(action: ProposedAction, facts: Facts) -> CampaignFacts | None:
    campaign_id = str_arg(action.args, "campaign_id")
    return None if campaign_id is None else await facts.campaign(campaign_id)


async def action_channels(action: ProposedAction, facts: Facts) -> list[str | None]:
    """Every channel or ad platform the action touches; None marks one that cannot be determined."""
    args = action.args
    channels: list[str | None] = []
    for key in ("channel", "platform"):
        if key in args:
            channels.append(str_arg(args, key))
    if "message_id" in args:
        message_id = str_arg(args, "message_id")
        message = None if message_id is None else await facts.message(message_id)
        channels.append(None if message is None else message.channel)
    if "campaign_id" in args and "platform" not in args:
        campaign = await action_campaign(action, facts)
        channels.append(None if campaign is None else campaign.platform)
    return channels


async def action_reach(action: ProposedAction, facts: Facts) -> int | None:
    """Recipients a messaging action would reach: explicit contact ids, else the segment's reach on its channel."""
    if is_dry_run(action.args):
        return 0
    contact_ids = str_list_arg(action.args, "contact_ids")
    if contact_ids is not None:
        return len(set(contact_ids))
    segment_id = str_arg(action.args, "segment_id")
    if segment_id is None:
        return None
    channels = await action_channels(action, facts)
    known = {c for c in channels if c is not None}
    if len(known) != 1 or None in channels:
        return None
    return await facts.segment_reach(segment_id, known.pop())


async def spend_moved(action: ProposedAction, facts: Facts) -> int | None:
    """Absolute change of active daily budget the action would make; None when it cannot be known."""
    if action.tool not in (Ads.SET_BUDGET, Ads.PAUSE_CAMPAIGN, *ACTIVATING_TOOLS):
        return 0
    campaign = await action_campaign(action, facts)
    if campaign is None:
        return None
    active = campaign.status == "active"
    if action.tool == Ads.SET_BUDGET:
        new = int_arg(action.args, "daily_budget_minor")
        return None if new is None else abs(new - campaign.daily_budget_minor)
    if action.tool == Ads.PAUSE_CAMPAIGN:
        return campaign.daily_budget_minor if active else 0
    return 0 if active else campaign.daily_budget_minor
