"""Money as integer minor units with an ISO-4217 currency: never floats for balances or budgets."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code, e.g. EUR")]
MinorUnits = Annotated[int, Field(description="Amount in minor units (cents): 1999 means 19.99")]


class Money(BaseModel):
    """An amount in minor units of one currency."""

    model_config = ConfigDict(frozen=True)

    amount_minor: MinorUnits
    currency: Currency

    def __str__(self) -> str:
        return f"{format_amount(self.amount_minor)} {self.currency}"


def format_amount(amount_minor: float, *, signed: bool = False) -> str:
    """Minor units as major units with thousands separators, e.g. `1234567` → `12,345.67` (`+12,345.67` if signed).

    The one money formatter every figure shown to a person goes through (means of minor units round half-even to the
    cent).
    """
    cents = round(amount_minor)
    sign = "-" if cents < 0 else ("+" if signed else "")
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units:,}.{rest:02d}"


def format_minor(amount_minor: int, currency: str) -> str:
    """Human-readable amount, e.g. `1,234.99 EUR`."""
    return str(Money(amount_minor=amount_minor, currency=currency))
