"""Server-side limits (caps, floors, frequency caps): enforced whoever the client is.

Loaded from a YAML file; every field has a sane default so an empty file (or none) works.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.errors import InvalidArgument
from cadencia.tools.yamlmodel import load_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BudgetLimits(_Strict):
    max_change_pct: int = Field(50, ge=1, le=1000, description="Largest single budget change, % of the current value.")
    platform_daily_cap_minor: dict[str, int] = Field(
        default_factory=lambda: {"meta": 150_000, "google": 150_000, "tiktok": 100_000},
        description="Sum of active daily budgets allowed per platform, in minor units of `currency`.",
    )
    account_daily_cap_minor: int = Field(350_000, ge=0, description="Sum of all active daily budgets, minor units.")
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    min_daily_budget_minor: int = Field(500, ge=0)
    fx_rates: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Annotated[Decimal, Field(gt=0)]] = Field(
        default_factory=dict,
        description="Units of `currency` one unit of another currency buys (e.g. COP: 0.00023): campaigns billed "
        "in it count towards the caps converted. Rates kept in the store (the world's) take precedence.",
    )


class PriceLimits(_Strict):
    max_discount_pct: int = Field(40, ge=0, le=95, description="Deepest discount off the list price.")
    min_margin_pct: int = Field(10, ge=0, le=95, description="Price may not go below cost × (1 + min_margin_pct/100).")
    max_change_pct: int = Field(50, ge=1, le=500, description="Largest single price move, % of the current price.")


class MessagingLimits(_Strict):
    frequency_cap: int = Field(2, ge=0, description="Marketing messages per contact per channel within the window.")
    frequency_window_days: int = Field(7, ge=1, le=90)
    max_recipients_per_send: int = Field(50_000, ge=1)
    review_request_cooldown_days: int = Field(30, ge=1)
    sms_max_chars: int = Field(160, ge=1, le=1600, description="Longest SMS body (one GSM segment is 160).")
    whatsapp_max_chars: int = Field(1024, ge=1, le=4096, description="Longest WhatsApp message body.")


class StockLimits(_Strict):
    max_po_quantity: int = Field(20_000, ge=1)
    max_po_value_minor: int = Field(5_000_000, ge=0, description="Largest purchase order value, minor units.")


class Limits(_Strict):
    """All server-side invariants' parameters."""

    budget: BudgetLimits = BudgetLimits()
    price: PriceLimits = PriceLimits()
    messaging: MessagingLimits = MessagingLimits()
    stock: StockLimits = StockLimits()


def load_limits(path: Path | None) -> Limits:
    """Read limits from YAML; a malformed file is an error naming the bad field, never silently defaulted."""
    if path is None:
        return Limits()
    return load_yaml_model(
        Limits, path.read_text(encoding="utf-8"), source=f"limits file {path}", error=InvalidArgument
    )
