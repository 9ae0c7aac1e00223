"""What checks may know about the world: a read-only `Facts` protocol and an in-memory `StaticFacts`.

Every lookup returns None when the figure is unknown, so a check can fail closed instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignFacts(_Fact):
    id: str
    platform: str = Field(description="meta, google or tiktok.")
    status: str = Field(description="draft, active, paused or ended.")
    daily_budget_minor: int = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    sku: str | None = Field(None, description="The SKU the campaign advertises, if any.")


class ProductFacts(_Fact):
    sku: str
    price_minor: int = Field(ge=0)
    list_price_minor: int = Field(ge=0)
    cost_minor: int = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class MessageFacts(_Fact):
    id: str
    channel: str
    subject: str = ""
    body: str = ""
    claim_ids: list[str] = Field(default_factory=list)
    ai_generated: bool | None = None

    @field_validator("subject", "body", mode="before")
    @classmethod
    def _blank_when_absent(cls, value: object) -> object:
        return "" if value is None else value


class PurchaseOrderFacts(_Fact):
    id: str
    sku: str
    status: str = Field(description="draft, confirmed, received or cancelled.")
    total_minor: int = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class ClaimFacts(_Fact):
    id: str
    text: str
    approved: bool


class Facts(Protocol):
    """Read-only world lookups for checks; None (or a None list) means unknown, never 'nothing there'."""

    async def campaign(self, campaign_id: str) -> CampaignFacts | None: ...

    async def active_campaigns(self) -> list[CampaignFacts] | None: ...

    async def product(self, sku: str) -> ProductFacts | None: ...

    async def stock_cover_days(self, sku: str) -> float | None: ...

    async def segment_reach(self, segment_id: str, channel: str) -> int | None: ...

    async def message(self, message_id: str) -> MessageFacts | None: ...

    async def claims(self) -> list[ClaimFacts] | None: ...

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrderFacts | None: ...


class FactsData(_Fact):
    """The JSON shape of a facts file; any section left out is unknown."""

    campaigns: list[CampaignFacts] | None = None
    products: list[ProductFacts] = Field(default_factory=list)
    stock_cover_days: dict[str, float | None] = Field(default_factory=dict)
    segment_reach: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="segment id -> channel -> eligible recipients."
    )
    messages: list[MessageFacts] = Field(default_factory=list)
    claims: list[ClaimFacts] | None = None
    purchase_orders: list[PurchaseOrderFacts] = Field(default_factory=list)


class FactsError(ValueError):
    """A facts file that does not validate."""


class StaticFacts:
    """In-memory facts built from lists, for tests and `policy explain`."""

    def __init__(
        self,
        *,
        campaigns: Sequence[CampaignFacts] | None = None,
        products: Sequence[ProductFacts] = (),
        stock_cover_days: Mapping[str, float | None] | None = None,
        segment_reach: Mapping[str, Mapping[str, int]] | None = None,
        messages: Sequence[MessageFacts] = (),
        claims: Sequence[ClaimFacts] | None = None,
        purchase_orders: Sequence[PurchaseOrderFacts] = (),
    ) -> None:
        self._campaigns = None if campaigns is None else {c.id: c for c in campaigns}
        self._products = {p.sku: p for p in products}
        self._cover = dict(stock_cover_days or {})
        self._reach = {seg: dict(by_channel) for seg, by_channel in (segment_reach or {}).items()}
        self._messages = {m.id: m for m in messages}
        self._claims = None if claims is None else list(claims)
        self._orders = {o.id: o for o in purchase_orders}

    @classmethod
    def from_data(cls, data: FactsData) -> StaticFacts:
        return cls(
            campaigns=data.campaigns,
            products=data.products,
            stock_cover_days=data.stock_cover_days,
            segment_reach=data.segment_reach,
            messages=data.messages,
            claims=data.claims,
            purchase_orders=data.purchase_orders,
        )

    @classmethod
    def load(cls, path: Path) -> StaticFacts:
        """Read a JSON facts file (see `FactsData`); errors name the file and the field."""
        try:
            data = FactsData.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "(root)"
            raise FactsError(f"{path}: {where}: {first['msg']}") from exc
        return cls.from_data(data)

    async def campaign(self, campaign_id: str) -> CampaignFacts | None:
        return None if self._campaigns is None else self._campaigns.get(campaign_id)

    async def active_campaigns(self) -> list[CampaignFacts] | None:
        if self._campaigns is None:
            return None
        return [c for c in self._campaigns.values() if c.status == "active"]

    async def product(self, sku: str) -> ProductFacts | None:
        return self._products.get(sku)

    async def stock_cover_days(self, sku: str) -> float | None:
        return self._cover.get(sku)

    async def segment_reach(self, segment_id: str, channel: str) -> int | None:
        return self._reach.get(segment_id, {}).get(channel)

    async def message(self, message_id: str) -> MessageFacts | None:
        return self._messages.get(message_id)

    async def claims(self) -> list[ClaimFacts] | None:
        return None if self._claims is None else list(self._claims)

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrderFacts | None:
        return self._orders.get(purchase_order_id)
