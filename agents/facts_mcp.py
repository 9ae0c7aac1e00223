"""World facts for the guardrails, read through the same MCP tools the agent uses (read-only calls).

A fact that cannot be read is None, and the checks fail closed on it. A result that no longer has the shape the
facts are read from raises `ToolResultError` (tool and field named), which the engine turns into a denial.
"""

from __future__ import annotations

from pydantic import JsonValue

from cadencia.agents.toolbox import Toolbox, V
from cadencia.agents.views import (
    CampaignView,
    ClaimView,
    ForecastView,
    MessageView,
    ProductView,
    PurchaseOrderView,
    ReachEstimateView,
)
from cadencia.tools.names import Ads, Crm, Inventory
from cadencia.tools.policy.facts import CampaignFacts, ClaimFacts, MessageFacts, ProductFacts, PurchaseOrderFacts

MAX_ITEMS = 2000
NO_DEMAND = 0.01
"""Daily demand at or below this is no demand: stock cover is unbounded, not unknown."""


class McpFacts:
    """`Facts` over the combined server's read tools."""

    def __init__(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox

    async def _all(self, tool: str, item: type[V], args: dict[str, JsonValue] | None = None) -> list[V] | None:
        """Every item, or None when any page failed or there are too many to be sure (checks then fail closed)."""
        items, complete = await self.toolbox.read_pages_as(tool, args, item, max_items=MAX_ITEMS)
        return items if complete else None

    async def campaign(self, campaign_id: str) -> CampaignFacts | None:
        return await self.toolbox.read_as(Ads.GET_CAMPAIGN, {"campaign_id": campaign_id}, CampaignView)

    async def active_campaigns(self) -> list[CampaignFacts] | None:
        rows = await self._all(Ads.LIST_CAMPAIGNS, CampaignView, {"status": "active"})
        return None if rows is None else list(rows)

    async def product(self, sku: str) -> ProductFacts | None:
        return await self.toolbox.read_as(Inventory.GET_PRODUCT, {"sku": sku}, ProductView)

    async def stock_cover_days(self, sku: str) -> float | None:
        forecast = await self.toolbox.read_as(Inventory.FORECAST_DEMAND, {"sku": sku}, ForecastView)
        if forecast is None:
            return None
        if forecast.days_of_cover is None and forecast.daily_demand <= NO_DEMAND:
            return float("inf")
        return forecast.days_of_cover

    async def segment_reach(self, segment_id: str, channel: str) -> int | None:
        estimate = await self.toolbox.read_as(Crm.ESTIMATE_SEGMENT, {"segment_id": segment_id}, ReachEstimateView)
        for reach in estimate.channels if estimate else []:
            if reach.channel == channel:
                return reach.eligible
        return None

    async def message(self, message_id: str) -> MessageFacts | None:
        rows = await self._all(Crm.LIST_MESSAGES, MessageView)
        return next((m for m in rows or [] if m.id == message_id), None)

    async def claims(self) -> list[ClaimFacts] | None:
        rows = await self._all(Ads.LIST_CLAIMS, ClaimView)
        return None if rows is None else list(rows)

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrderFacts | None:
        rows = await self._all(Inventory.LIST_PURCHASE_ORDERS, PurchaseOrderView)
        return next((o for o in rows or [] if o.id == purchase_order_id), None)
