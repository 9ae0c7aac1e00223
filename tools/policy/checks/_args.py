"""Tool argument conventions the checks rely on, and typed readers over JSON arguments.

Names come from `cadencia.tools.names` (the combined server's `<capability>_<tool>`). Arguments read:
- ads_set_budget(campaign_id, daily_budget_minor, currency); ads_resume/launch/pause_campaign(campaign_id);
  ads_create_campaign(platform, daily_budget_minor, currency, sku?); ads_create_creative(campaign_id, headline,
  body, claim_ids, ai_generated)
- inventory_set_price(sku, price_minor, currency); inventory_schedule_promotion(sku, discount_pct, label)
- crm_draft_message(channel, subject, body, claim_ids, ai_generated); crm_send_now / crm_schedule_send(message_id,
  segment_id); reviews_reply_to_review(review_id, body, claim_ids); reviews_request_reviews(sku, contact_ids,
  channel, dry_run)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from pydantic import JsonValue

from cadencia.tools.names import Ads, Crm, Inventory, Reviews
from cadencia.tools.policy.actions import JsonArgs

BUDGET_TOOLS = frozenset({Ads.SET_BUDGET, Ads.RESUME_CAMPAIGN, Ads.LAUNCH_CAMPAIGN, Ads.CREATE_CAMPAIGN})
"""Tools that can put more money into play."""
ACTIVATING_TOOLS = frozenset({Ads.RESUME_CAMPAIGN, Ads.LAUNCH_CAMPAIGN})
MESSAGING_TOOLS = frozenset({Crm.SEND_NOW, Crm.SCHEDULE_SEND, Reviews.REQUEST_REVIEWS})
"""Tools that reach customers' inboxes."""
PRICING_TOOLS = frozenset({Inventory.SET_PRICE, Inventory.SCHEDULE_PROMOTION})
"""Tools that change what a product sells for."""
DEMAND_TOOLS = frozenset({Inventory.SCHEDULE_PROMOTION, *BUDGET_TOOLS})
"""Tools that push demand for a SKU."""
SPEND_TOOLS = frozenset({Ads.PAUSE_CAMPAIGN, *BUDGET_TOOLS})
"""Tools that change the active daily budget."""
DISCLOSED_TOOLS = frozenset({Ads.CREATE_CREATIVE, Crm.DRAFT_MESSAGE})
"""Tools whose text must declare whether AI wrote it."""

CUSTOMER_TEXT: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        Ads.CREATE_CREATIVE: ("headline", "body"),
        Crm.DRAFT_MESSAGE: ("subject", "body"),
        Reviews.REPLY_TO_REVIEW: ("body",),
        Inventory.UPDATE_PRODUCT_CONTENT: ("title", "description", "bullets"),
        Inventory.SCHEDULE_PROMOTION: ("label",),
    }
)
"""Arguments that customers will read, per tool."""
OUTBOUND_TOOLS = frozenset({*CUSTOMER_TEXT, Crm.SEND_NOW, Crm.SCHEDULE_SEND})
"""Tools that put text in front of customers."""

TARGET_ID_KEYS = ("campaign_id", "segment_id", "message_id", "sku", "review_id", "promotion_id", "contact_ids")


def is_dry_run(args: JsonArgs) -> bool:
    """A call that only reports what it would do (e.g. reviews_request_reviews with dry_run)."""
    return args.get("dry_run") is True


def int_arg(args: JsonArgs, key: str) -> int | None:
    value = args.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def str_arg(args: JsonArgs, key: str) -> str | None:
    value = args.get(key)
    return value if isinstance(value, str) and value else None


def str_list_arg(args: JsonArgs, key: str) -> list[str] | None:
    """A list of strings, or None when absent or not a list of strings."""
    value = args.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return [v for v in value if isinstance(v, str)]


def texts_of(value: JsonValue) -> Iterator[str]:
    """Every string inside a JSON value, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from texts_of(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts_of(item)


def customer_texts(tool: str, args: JsonArgs) -> list[tuple[str, str]]:
    """(field, text) pairs of customer-facing text in the arguments of `tool`."""
    found: list[tuple[str, str]] = []
    for field in CUSTOMER_TEXT.get(tool, ()):
        found += [(field, text) for text in texts_of(args.get(field))]
    return found


def target_ids(args: JsonArgs) -> list[tuple[str, str]]:
    """(argument, id) pairs the action targets: campaigns, segments, SKUs, contacts…"""
    ids: list[tuple[str, str]] = []
    for key in TARGET_ID_KEYS:
        ids += [(key, t) for t in texts_of(args.get(key)) if t]
    return ids
