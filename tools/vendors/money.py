"""Vendor money strings and micros to integer minor units (and back), exactly, with Decimal."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from cadencia.tools.errors import VendorError

ZERO_DECIMAL = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "UGX", "PYG"})


def exponent(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def to_minor(amount: str | int | float | Decimal, currency: str) -> int:
    """`"26.90"` EUR → 2690; refuses what is not a number instead of guessing."""
    try:
        value = Decimal(str(amount))
    except ArithmeticError as exc:
        raise VendorError(f"vendor sent an amount that is not a number: {amount!r}") from exc
    return int((value * 10 ** exponent(currency)).to_integral_value(ROUND_HALF_EVEN))


def from_minor(amount_minor: int, currency: str) -> str:
    """2690 EUR → `"26.90"` (the decimal string vendors expect)."""
    places = exponent(currency)
    return str((Decimal(amount_minor) / (10**places)).quantize(Decimal(1).scaleb(-places)))


def micros_to_minor(micros: int | str, currency: str) -> int:
    """Google Ads micros (1 000 000 per unit) → minor units."""
    return to_minor(Decimal(int(micros)) / Decimal(1_000_000), currency)


def minor_to_micros(amount_minor: int, currency: str) -> int:
    return int(Decimal(amount_minor) / (10 ** exponent(currency)) * 1_000_000)
