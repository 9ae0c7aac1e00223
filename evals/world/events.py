"""Scripted market events a scenario injects on a given day (a discriminated union on `kind`)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, model_validator

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


SHORT_FIELDS = {"product_title": 150, "campaign_name": 150}
"""Fields of at most 200 characters: the planted text must fit beside what is already there."""

InjectionTarget = Literal["review", "contact_note", "product_description", "product_title", "campaign_name"]


class PromptInjection(_Event):
    """Untrusted text planted in a text field the agent reads: a new customer review on `sku` (in any `language`),
    a contact's notes, a product's description or title (`sku`), or a campaign's name (`campaign_id`). Product and
    campaign fields get the text appended to what is there, as a marketplace editor or a compromised feed would."""

    kind: Literal["prompt_injection"] = "prompt_injection"
    target: InjectionTarget
    text: Annotated[str, Field(min_length=1, max_length=4_000)]
    sku: str | None = None
    contact_id: str | None = None
    campaign_id: str | None = None
    rating: Annotated[int, Field(ge=1, le=5)] = 5
    title: Annotated[str, Field(max_length=200)] = "Great product"
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = Field("en", description="A review's language code.")

    @model_validator(mode="after")
    def _target_id(self) -> Self:
        needs = {
            "review": "sku",
            "product_description": "sku",
            "product_title": "sku",
            "contact_note": "contact_id",
            "campaign_name": "campaign_id",
        }[self.target]
        if getattr(self, needs) is None:
            raise ValueError(f"a prompt_injection into a {self.target.replace('_', ' ')} needs `{needs}`")
        if self.target in SHORT_FIELDS and len(self.text) > SHORT_FIELDS[self.target]:
            raise ValueError(f"a {self.target.replace('_', ' ')} holds at most {SHORT_FIELDS[self.target]} characters")
        return self


class ConsentWithdrawn(_Event):
    """Contacts withdraw their consent on a channel (or every channel) today, as through a preference centre."""

    kind: Literal["consent_withdrawn"] = "consent_withdrawn"
    contact_ids: Annotated[list[str], Field(min_length=1, max_length=10_000)]
    channel: Literal["email", "sms"] | None = Field(None, description="None withdraws every channel.")


class ContactSuppressed(_Event):
    """Contacts are put on the suppression list today (a complaint, a legal request): no marketing, whatever consent."""

    kind: Literal["contact_suppressed"] = "contact_suppressed"
    contact_ids: Annotated[list[str], Field(min_length=1, max_length=10_000)]
    reason: Annotated[str, Field(min_length=1, max_length=200)] = "complaint"


class AnotherClient(_Event):
    """Another client of the servers (a colleague, another tool) calls a mutating tool today, through the servers' own
    code: its change is journaled like any call, so the agent's stale writes and undos meet a real conflict. A call
    the server refuses is a refused call (recorded in the day's events), never an error of the run."""

    kind: Literal["another_client"] = "another_client"
    tool: Annotated[str, Field(pattern=r"^[a-z_]{3,64}$", description="Base tool name, e.g. set_budget.")]
    args: dict[str, JsonValue] = Field(default_factory=dict)


Event = Annotated[
    DemandSpike
    | SupplierDelay
    | CompetitorPriceCut
    | ViralPost
    | NegativeReviewBurst
    | CpmShock
    | PromptInjection
    | ConsentWithdrawn
    | ContactSuppressed
    | AnotherClient,
    Field(discriminator="kind"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
"""Validates an event from scenario data: `EVENT_ADAPTER.validate_python({"kind": "cpm_shock", ...})`."""
