"""`MemoFacts`: one assessment's facts, each looked up once however many checks ask for it.

The engine wraps the run's facts in one for every assessment: nothing is written while an action is judged, so a
figure read by the price floor, the discount cap and the recheck of a clamp is the same figure, read once (over
MCP that was three `get_product` calls per price change). Only answers are kept: a lookup that raises is asked
again by the next check, as before. Lists are handed out as copies, so one check cannot edit another's view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from cadencia.tools.policy.facts import (
    CampaignFacts,
    ClaimFacts,
    Facts,
    MessageFacts,
    ProductFacts,
    PurchaseOrderFacts,
)

T = TypeVar("T")


class MemoFacts:
    """`Facts` that remember each answer of the facts they wrap, for the life of one assessment."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._answers: dict[Hashable, Any] = {}

    async def _once(self, key: Hashable, lookup: Callable[[], Awaitable[T]]) -> T:
        if key in self._answers:
            answer: T = self._answers[key]
        else:
            answer = self._answers[key] = await lookup()
        return list(answer) if isinstance(answer, list) else answer  # type: ignore[return-value]

    async def campaign(self, campaign_id: str) -> CampaignFacts | None:
        return await self._once(("campaign", campaign_id), lambda: self.facts.campaign(campaign_id))

    async def active_campaigns(self) -> list[CampaignFacts] | None:
        return await self._once(("active_campaigns",), self.facts.active_campaigns)

    async def product(self, sku: str) -> ProductFacts | None:
        return await self._once(("product", sku), lambda: self.facts.product(sku))

    async def stock_cover_days(self, sku: str) -> float | None:
        return await self._once(("stock_cover_days", sku), lambda: self.facts.stock_cover_days(sku))

    async def segment_reach(self, segment_id: str, channel: str) -> int | None:
        return await self._once(
            ("segment_reach", segment_id, channel), lambda: self.facts.segment_reach(segment_id, channel)
        )

    async def message(self, message_id: str) -> MessageFacts | None:
        return await self._once(("message", message_id), lambda: self.facts.message(message_id))

    async def claims(self) -> list[ClaimFacts] | None:
        return await self._once(("claims",), self.facts.claims)

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrderFacts | None:
        return await self._once(
            ("purchase_order", purchase_order_id), lambda: self.facts.purchase_order(purchase_order_id)
        )
