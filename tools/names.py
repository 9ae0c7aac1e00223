"""Tool names, written once: `<capability>_<tool>`, as the combined server publishes them and the agent sees them.

Single-capability servers publish the bare `<tool>` part (`base_name`), which is also how the servers' own call
record names a tool. Agents, guardrails and evals refer to tools only through the enums here, so a renamed server
tool breaks a test instead of silently turning a guardrail into "not applicable".
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

CAPABILITIES = ("inventory", "ads", "reviews", "crm")
"""Capability names, which are also the prefixes of the combined server's tool names."""
CAPABILITY_META_KEY = "cadencia/capability"
"""Where a server publishes, in each tool's `_meta`, the capability the tool belongs to."""


def qualified(capability: str, tool: str) -> str:
    """`("ads", "set_budget")` → `ads_set_budget`."""
    return f"{capability}_{tool}"


def capability_of(name: str) -> str | None:
    """The capability a prefixed tool name belongs to, or None for a bare or third-party name."""
    prefix = name.split("_", 1)[0]
    return prefix if prefix in CAPABILITIES and "_" in name else None


def base_name(name: str) -> str:
    """`ads_set_budget` → `set_budget`; names without a capability prefix are returned unchanged."""
    capability = capability_of(name)
    return name[len(capability) + 1 :] if capability else name


class ToolName(StrEnum):
    """A tool of the combined server; members compare equal to their name string."""

    @property
    def capability(self) -> str:
        return self.value.split("_", 1)[0]

    @property
    def base(self) -> str:
        """The name a single-capability server (and the servers' call record) uses."""
        return base_name(self.value)


class Inventory(ToolName):
    LIST_PRODUCTS = "inventory_list_products"
    GET_PRODUCT = "inventory_get_product"
    FORECAST_DEMAND = "inventory_forecast_demand"
    LIST_FORECASTS = "inventory_list_forecasts"
    SALES_REPORT = "inventory_sales_report"
    SET_PRICE = "inventory_set_price"
    LIST_PROMOTIONS = "inventory_list_promotions"
    SCHEDULE_PROMOTION = "inventory_schedule_promotion"
    UPDATE_PRODUCT_CONTENT = "inventory_update_product_content"
    LIST_PURCHASE_ORDERS = "inventory_list_purchase_orders"
    CREATE_PURCHASE_ORDER = "inventory_create_purchase_order"
    CONFIRM_PURCHASE_ORDER = "inventory_confirm_purchase_order"
    UNDO = "inventory_undo"


class Ads(ToolName):
    LIST_CAMPAIGNS = "ads_list_campaigns"
    GET_CAMPAIGN = "ads_get_campaign"
    GET_PERFORMANCE = "ads_get_performance"
    SET_BUDGET = "ads_set_budget"
    PAUSE_CAMPAIGN = "ads_pause_campaign"
    RESUME_CAMPAIGN = "ads_resume_campaign"
    CREATE_CAMPAIGN = "ads_create_campaign"
    LAUNCH_CAMPAIGN = "ads_launch_campaign"
    LIST_CLAIMS = "ads_list_claims"
    CREATE_CREATIVE = "ads_create_creative"
    UNDO = "ads_undo"


class Reviews(ToolName):
    LIST_REVIEWS = "reviews_list_reviews"
    REVIEW_SUMMARY = "reviews_review_summary"
    REPLY_TO_REVIEW = "reviews_reply_to_review"
    FLAG_REVIEW = "reviews_flag_review"
    REQUEST_REVIEWS = "reviews_request_reviews"
    UNDO = "reviews_undo"


class Crm(ToolName):
    LIST_SEGMENTS = "crm_list_segments"
    ESTIMATE_SEGMENT = "crm_estimate_segment"
    DRAFT_MESSAGE = "crm_draft_message"
    LIST_MESSAGES = "crm_list_messages"
    SCHEDULE_SEND = "crm_schedule_send"
    SEND_NOW = "crm_send_now"
    UNDO = "crm_undo"


TOOL_NAMES: tuple[ToolName, ...] = (*Inventory, *Ads, *Reviews, *Crm)
"""Every tool name Cadencia's own code refers to; each must exist on the combined server."""


def undo_tool(name: str) -> str:
    """The undo tool on the same server: `ads_set_budget` → `ads_undo`, bare `set_price` → `undo`."""
    capability = capability_of(name)
    return qualified(capability, "undo") if capability else "undo"


def missing_names(published: Collection[str]) -> list[str]:
    """Names Cadencia refers to that a server's registry (`published` tool names) does not have."""
    return [name.value for name in TOOL_NAMES if name.value not in published]
