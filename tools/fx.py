"""Exchange rates: amounts in minor units of one currency converted to another with Decimal rates (never floats).

A rate is how many units of the account currency one unit of a currency buys, e.g. `COP: 0.00023` for an EUR
account. The store keeps the world's rates (`fx_rates`, set by a scenario or an operator) so the servers and the
market simulator read the same figures; servers also accept rates from their limits file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import Connection, insert, select, update

from cadencia.tools.store.journal import world

FX_KEY = "fx_rates"
MINOR_DIGITS = {"BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "OMR": 3, "TND": 3, "VND": 0}
"""ISO 4217 minor-unit digits that are not 2 (COP, EUR, USD, MXN... have 2)."""

Rates = Mapping[str, Decimal]


class MissingRate(LookupError):
    """No exchange rate is known for a currency, so its amounts cannot be compared with the account's."""

    def __init__(self, currency: str, account: str) -> None:
        super().__init__(f"no exchange rate from {currency} to {account} is configured")
        self.currency = currency


def minor_digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


def to_account_minor(amount_minor: int, currency: str, account: str, rates: Rates) -> int:
    """`amount_minor` of `currency` in minor units of `account` (half-even to the minor unit)."""
    if currency == account:
        return amount_minor
    rate = rates.get(currency)
    if rate is None:
        raise MissingRate(currency, account)
    scale = Decimal(10) ** (minor_digits(account) - minor_digits(currency))
    return int((Decimal(amount_minor) * rate * scale).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_account_minor(amount_minor: int, currency: str, account: str, rates: Rates) -> int:
    """The inverse: an amount of the account currency in minor units of `currency`."""
    if currency == account:
        return amount_minor
    rate = rates.get(currency)
    if rate is None:
        raise MissingRate(currency, account)
    scale = Decimal(10) ** (minor_digits(currency) - minor_digits(account))
    return int((Decimal(amount_minor) / rate * scale).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def read_rates(conn: Connection) -> dict[str, Decimal]:
    """The world's rates kept in the store (empty when none were set)."""
    value = conn.execute(select(world.c.value).where(world.c.key == FX_KEY)).scalar()
    return {code: Decimal(rate) for code, rate in json.loads(value).items()} if value else {}


def write_rates(conn: Connection, rates: Rates) -> None:
    """Keep `rates` in the store (as decimal strings, so no float ever touches them)."""
    value = json.dumps({code: str(rate) for code, rate in sorted(rates.items())})
    if conn.execute(update(world).where(world.c.key == FX_KEY).values(value=value)).rowcount == 0:
        conn.execute(insert(world).values(key=FX_KEY, value=value))


def account_currency(conn: Connection) -> str:
    """The currency the store keeps its books in (set by the seed)."""
    return conn.execute(select(world.c.value).where(world.c.key == "currency")).scalar() or "EUR"
