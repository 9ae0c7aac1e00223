"""World facts for the guardrails, read through the same MCP tools the agent uses (read-only calls).

A fact that cannot be read is None, and the checks fail closed on it.
"""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue, ValidationError

from cadencia.agents.guardrails.facts import CampaignFacts, ClaimFacts, MessageFacts, ProductFacts
from cadencia.agents.toolbox import Toolbox

MAX_ITEMS = 2000


class McpFacts:
    """`Facts` over the combined server's read tools."""

    def __init__(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox

    async def _get(self, tool: str, args: dict[str, JsonValue]) -> dict[str, Any] | None:
        return await self.toolbox.read(tool, args)

    async def _all(self, tool: str, args: dict[str, JsonValue] | None = None) -> list[dict[str, Any]] | None:
        """Every item, or None when any page failed or there are too many to be sure (checks then fail closed)."""
        items, complete = await self.toolbox.read_pages(tool, args, max_items=MAX_ITEMS)
        return items if complete else None

    @staticmethod
    def _campaign(row: dict[str, Any]) -> CampaignFacts | None:
        try:
            return CampaignFacts.model_validate({k: row.get(k) for k in CampaignFacts.model_fields})
        except ValidationError:
            return None

    async def campaign(self, campaign_id: str) -> CampaignFacts | None:
        row = await self._get("ads_get_campaign", {"campaign_id": campaign_id})
        return self._campaign(row) if row else None

    async def active_campaigns(self) -> list[CampaignFacts] | None:
        rows = await self._all("ads_list_campaigns", {"status": "active"})
        if rows is None:
            return None
        facts = [self._campaign(r) for r in rows]
        return None if any(f is None for f in facts) else [f for f in facts if f is not None]

    async def product(self, sku: str) -> ProductFacts | None:
        row = await self._get("inventory_get_product", {"sku": sku})
        if row is None:
            return None
        return ProductFacts.model_validate({k: row.get(k) for k in ProductFacts.model_fields})

    async def stock_cover_days(self, sku: str) -> float | None:
        row = await self._get("inventory_forecast_demand", {"sku": sku})
        cover = row.get("days_of_cover") if row else None
        if row is not None and cover is None and row.get("daily_demand", 0) <= 0.01:
            return float("inf")  # no demand: cover is unbounded, not unknown
        return float(cover) if isinstance(cover, int | float) else None

    async def segment_reach(self, segment_id: str, channel: str) -> int | None:
        row = await self._get("crm_estimate_segment", {"segment_id": segment_id})
        for reach in (row or {}).get("channels", []):
            if reach.get("channel") == channel:
                return int(reach["eligible"])
        return None

    async def message(self, message_id: str) -> MessageFacts | None:
        rows = await self._all("crm_list_messages")
        for row in rows or []:
            if row.get("id") == message_id:
                return MessageFacts.model_validate({k: row.get(k) for k in MessageFacts.model_fields})
        return None

    async def claims(self) -> list[ClaimFacts] | None:
        rows = await self._all("ads_list_claims")
        if rows is None:
            return None
        return [ClaimFacts(id=r["id"], text=r["text"], approved=bool(r["approved"])) for r in rows]
