"""Vendor amounts to Cadencia's minor units: Google's micros, Shopify's decimal strings, Klaviyo's cents."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum

from pydantic import JsonValue

from cadencia.tools.fx import minor_digits

MICROS_PER_MAJOR = 1_000_000


class Unit(StrEnum):
    MINOR = "minor"
    """Integer minor units (cents): 1999 is 19.99."""
    MICROS = "micros"
    """Integer millionths of the major unit (Google Ads, Meta insights): 19_990_000 is 19.99."""
    MAJOR = "major"
    """Major units as a number or decimal string (Shopify `"19.99"`)."""


class AmountError(ValueError):
    """An amount that is not a number of the declared unit, or has more precision than minor units hold."""


def to_minor(value: JsonValue, unit: Unit, currency: str) -> int:
    """`value` in `unit` as exact minor units of `currency`; a fraction of a minor unit is an error, not rounded."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AmountError(f"{value!r} is not an amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise AmountError(f"{value!r} is not a number") from exc
    scale = Decimal(10) ** minor_digits(currency)
    match unit:
        case Unit.MINOR:
            minor = amount
        case Unit.MICROS:
            minor = amount * scale / MICROS_PER_MAJOR
        case Unit.MAJOR:
            minor = amount * scale
    if minor != minor.to_integral_value():
        raise AmountError(f"{value!r} {unit.value} is not a whole number of {currency} minor units")
    return int(minor)
