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
        sign = "-" if self.amount_minor < 0 else ""
        units, cents = divmod(abs(self.amount_minor), 100)
        return f"{sign}{units}.{cents:02d} {self.currency}"


def format_minor(amount_minor: int, currency: str) -> str:
    """Human-readable amount, e.g. `19.99 EUR`."""
    return str(Money(amount_minor=amount_minor, currency=currency))
