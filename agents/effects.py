"""What an executed call did to the blast-radius totals, read from the server's own result (never the planner's)."""

from __future__ import annotations

from pydantic import JsonValue

CAPABILITY_PREFIXES = ("inventory_", "ads_", "reviews_", "crm_")


def base_name(tool: str) -> str:
    """`ads_set_budget` → `set_budget` (the combined server prefixes names; single servers don't)."""
    for prefix in CAPABILITY_PREFIXES:
        if tool.startswith(prefix):
            return tool[len(prefix) :]
    return tool


def _int(value: JsonValue) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _active_budget(campaign: JsonValue) -> int:
    if not isinstance(campaign, dict) or campaign.get("status") != "active":
        return 0
    return _int(campaign.get("daily_budget_minor"))


def spend_moved(tool: str, result: dict[str, JsonValue]) -> int:
    """Absolute change in active daily budget this call caused (minor units)."""
    name = base_name(tool)
    if name == "set_budget":
        return abs(_int(result.get("daily_budget_minor")) - _int(result.get("previous_daily_budget_minor")))
    if name in ("pause_campaign", "resume_campaign", "launch_campaign", "create_campaign"):
        return abs(_active_budget(result.get("campaign")) - _active_budget(result.get("previous")))
    return 0


def contacts_messaged(tool: str, result: dict[str, JsonValue]) -> int:
    """Customers this call messaged, or will message when a scheduled send goes out."""
    name = base_name(tool)
    if name == "send_now":
        send = result.get("send")
        return _int(send.get("recipients")) if isinstance(send, dict) else 0
    if name == "schedule_send":
        estimate = result.get("estimate")
        return _int(estimate.get("eligible")) if isinstance(estimate, dict) else 0
    if name == "request_reviews":
        return _int(result.get("sent"))
    return 0
