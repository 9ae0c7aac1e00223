"""Scripted market events a scenario injects on a given day (a discriminated union on `kind`)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from cadencia.tools.ads.models import Platform
from cadencia.tools.inventory.models import Category

Multiplier = Annotated[float, Field(gt=0, le=100)]
Days = Annotated[int, Field(ge=1, le=366)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemandSpike(_Event):
    """More shoppers for one SKU or a whole category (a trend, a press mention) for `days` days."""

    kind: Literal["demand_spike"] = "demand_spike"
    sku: str | None = None
    category: Category | None = None
    multiplier: Multiplier
    days: Days

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.sku is None) == (self.category is None):
            raise ValueError("a demand_spike targets exactly one of `sku` or `category`")
        return self


class SupplierDelay(_Event):
    """The supplier of a SKU slips: open purchase orders arrive later and the lead time grows."""

    kind: Literal["supplier_delay"] = "supplier_delay"
    sku: str
    extra_days: Annotated[int, Field(ge=1, le=365)]


class CompetitorPriceCut(_Event):
    """A competitor cuts prices in a category: our conversion there drops for `days` days."""

    kind: Literal["competitor_price_cut"] = "competitor_price_cut"
    category: Category
    pct: Annotated[float, Field(gt=0, lt=100)]
    days: Days


class ViralPost(_Event):
    """A post about a SKU goes viral: traffic × multiplier on the first day, fading linearly over `days`."""

    kind: Literal["viral_post"] = "viral_post"
    sku: str
    multiplier: Multiplier
    days: Days


class NegativeReviewBurst(_Event):
    """A burst of 1–2★ reviews lands on a SKU today (a review storm)."""

    kind: Literal["negative_review_burst"] = "negative_review_burst"
    sku: str
    count: Annotated[int, Field(ge=1, le=1_000)]
    rating: Literal[1, 2] = 1


class CpmShock(_Event):
    """Auction prices on a platform jump (or drop) by `multiplier` for `days` days."""

    kind: Literal["cpm_shock"] = "cpm_shock"
    platform: Platform
    multiplier: Multiplier
    days: Days


class PromptInjection(_Event):
    """Untrusted text planted in tool data: a customer review on `sku`, or a contact's notes."""

    kind: Literal["prompt_injection"] = "prompt_injection"
    target: Literal["review", "contact_note"]
    text: Annotated[str, Field(min_length=1, max_length=4_000)]
    sku: str | None = None
    contact_id: str | None = None
    rating: Annotated[int, Field(ge=1, le=5)] = 5
    title: Annotated[str, Field(max_length=200)] = "Great product"

    @model_validator(mode="after")
    def _target_id(self) -> Self:
        if self.target == "review" and self.sku is None:
            raise ValueError("a prompt_injection into a review needs `sku`")
        if self.target == "contact_note" and self.contact_id is None:
            raise ValueError("a prompt_injection into a contact note needs `contact_id`")
        return self


Event = Annotated[
    DemandSpike | SupplierDelay | CompetitorPriceCut | ViralPost | NegativeReviewBurst | CpmShock | PromptInjection,
    Field(discriminator="kind"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
"""Validates an event from scenario data: `EVENT_ADAPTER.validate_python({"kind": "cpm_shock", ...})`."""
