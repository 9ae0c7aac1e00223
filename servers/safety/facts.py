"""Guardrail facts read straight from the server's own backends (no MCP round trip): what the server policy's
checks look up. A figure that cannot be read is None, and the checks fail closed on it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cadencia.servers.context import Backends
from cadencia.tools.ads.models import CampaignStatus
from cadencia.tools.errors import CadenciaError
from cadencia.tools.paging import Page
from cadencia.tools.policy.facts import CampaignFacts, ClaimFacts, MessageFacts, ProductFacts, PurchaseOrderFacts

log = logging.getLogger("cadencia.servers.safety")
F = TypeVar("F", bound=BaseModel)
MAX_PAGES = 20
PAGE = 100
NO_DEMAND = 0.01


def _as(fact: type[F], value: BaseModel | None) -> F | None:
    """The fields of `fact` from a backend model; None when it lacks one (a changed model fails closed)."""
    if value is None:
        return None
    data = value.model_dump(mode="json")
    try:
        return fact.model_validate({k: v for k, v in data.items() if k in fact.model_fields})
    except ValidationError:
        log.warning("cannot read %s from %s", fact.__name__, type(value).__name__)
        return None


async def _maybe(read: Awaitable[Any]) -> Any:
    """A backend read; a refused one (unknown id, vendor down) is unknown, not an error."""
    try:
        return await read
    except CadenciaError:
        return None


async def _every(page: Callable[[str | None], Awaitable[Page[Any]]]) -> list[Any] | None:
    """Every item of a paged read, or None when it has more pages than a check should wait for."""
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        got = await _maybe(page(cursor))
        if got is None:
            return None
        items += got.items
        cursor = got.next_cursor
        if cursor is None:
            return items
    return None


class BackendFacts:
    """`Facts` over one server's backends."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    async def campaign(self, campaign_id: str) -> CampaignFacts | None:
        return _as(CampaignFacts, await _maybe(self.backends.ads.get_campaign(campaign_id=campaign_id)))

    async def active_campaigns(self) -> list[CampaignFacts] | None:
        ads = self.backends.ads
        rows = await _every(
            lambda c: ads.list_campaigns(platform=None, status=CampaignStatus.ACTIVE, cursor=c, limit=PAGE)
        )
        facts = None if rows is None else [_as(CampaignFacts, r) for r in rows]
        return None if facts is None or None in facts else [f for f in facts if f is not None]

    async def product(self, sku: str) -> ProductFacts | None:
        return _as(ProductFacts, await _maybe(self.backends.inventory.get_product(sku=sku)))

    async def stock_cover_days(self, sku: str) -> float | None:
        forecast = await _maybe(self.backends.inventory.forecast_demand(sku=sku, horizon_days=14, service_level=0.95))
        if forecast is None:
            return None
        if forecast.days_of_cover is None and forecast.daily_demand <= NO_DEMAND:
            return float("inf")
        return forecast.days_of_cover  # type: ignore[no-any-return]

    async def segment_reach(self, segment_id: str, channel: str) -> int | None:
        estimate = await _maybe(self.backends.crm.estimate_segment(segment_id=segment_id, rules=None))
        for reach in estimate.channels if estimate is not None else []:
            if str(reach.channel) == channel:
                return int(reach.eligible)
        return None

    async def message(self, message_id: str) -> MessageFacts | None:
        crm = self.backends.crm
        rows = await _every(lambda c: crm.list_messages(channel=None, cursor=c, limit=PAGE))
        found = next((m for m in rows or [] if m.id == message_id), None)
        return _as(MessageFacts, found)

    async def claims(self) -> list[ClaimFacts] | None:
        ads = self.backends.ads
        rows = await _every(lambda c: ads.list_claims(approved_only=False, category=None, cursor=c, limit=PAGE))
        facts = None if rows is None else [_as(ClaimFacts, r) for r in rows]
        return None if facts is None or None in facts else [f for f in facts if f is not None]

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrderFacts | None:
        inventory = self.backends.inventory
        rows = await _every(lambda c: inventory.list_purchase_orders(sku=None, status=None, cursor=c, limit=PAGE))
        found = next((o for o in rows or [] if o.id == purchase_order_id), None)
        return _as(PurchaseOrderFacts, found)
