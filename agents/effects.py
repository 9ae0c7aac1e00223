"""What an executed call did, read from the server's own result (never the planner's): the blast-radius totals it
adds and the undo token it returned. Results are read through small views, so a changed result shape is named."""

from __future__ import annotations

from pydantic import BaseModel, JsonValue

from cadencia.agents.results import View, parse_result
from cadencia.tools.names import Ads, Crm, Reviews

ACTIVATION_TOOLS = frozenset({Ads.PAUSE_CAMPAIGN, Ads.RESUME_CAMPAIGN, Ads.LAUNCH_CAMPAIGN, Ads.CREATE_CAMPAIGN})


class Receipt(View):
    """Any mutating tool's result: reversible ones carry the token their undo tool takes."""

    undo_token: str | None = None


class BudgetChange(View):
    daily_budget_minor: int
    previous_daily_budget_minor: int


class CampaignState(View):
    status: str
    daily_budget_minor: int


class CampaignChange(View):
    campaign: CampaignState
    previous: CampaignState | None = None


class SendResult(View):
    recipients: int


class SendReport(View):
    send: SendResult


class Reach(View):
    eligible: int


class SendChange(View):
    estimate: Reach | None = None


class ReviewRequests(View):
    sent: int


class Effects(BaseModel):
    """What one successful call changed, as its result says."""

    spend_moved_minor: int = 0
    contacts_messaged: int = 0
    undo_token: str | None = None


def _active_budget(campaign: CampaignState | None) -> int:
    return campaign.daily_budget_minor if campaign is not None and campaign.status == "active" else 0


def spend_moved(tool: str, result: JsonValue) -> int:
    """Absolute change in active daily budget this call caused (minor units)."""
    if tool == Ads.SET_BUDGET:
        change = parse_result(tool, result, BudgetChange)
        return abs(change.daily_budget_minor - change.previous_daily_budget_minor)
    if tool in ACTIVATION_TOOLS:
        moved = parse_result(tool, result, CampaignChange)
        return abs(_active_budget(moved.campaign) - _active_budget(moved.previous))
    return 0


def contacts_messaged(tool: str, result: JsonValue) -> int:
    """Customers this call messaged, or will message when a scheduled send goes out."""
    if tool == Crm.SEND_NOW:
        return parse_result(tool, result, SendReport).send.recipients
    if tool == Crm.SCHEDULE_SEND:
        estimate = parse_result(tool, result, SendChange).estimate
        return estimate.eligible if estimate is not None else 0
    if tool == Reviews.REQUEST_REVIEWS:
        return parse_result(tool, result, ReviewRequests).sent
    return 0


def effects_of(tool: str, result: JsonValue) -> Effects:
    """Effects of a successful call; raises `ToolResultError` when the result lacks a field read here."""
    if not isinstance(result, dict):
        return Effects()
    return Effects(
        spend_moved_minor=spend_moved(tool, result),
        contacts_messaged=contacts_messaged(tool, result),
        undo_token=parse_result(tool, result, Receipt).undo_token,
    )
