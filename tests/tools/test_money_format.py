"""One money formatter: thousands separators, cents, sign; KPIs in money are shown as money, never minor units."""

from __future__ import annotations

from cadencia.agents.terminal import format_kpi
from cadencia.tools.money import format_amount, format_minor


def test_amounts_have_thousands_separators_cents_and_a_sign() -> None:
    assert format_minor(12_790_479, "EUR") == "127,904.79 EUR"
    assert format_minor(-5, "EUR") == "-0.05 EUR"
    assert format_amount(42_500) == "425.00"
    assert format_amount(1_234.5) == "12.34"  # a mean of minor units rounds to the cent
    assert format_amount(10_000, signed=True) == "+100.00"


def test_money_kpis_are_shown_as_money_and_others_in_their_unit() -> None:
    assert format_kpi("gross_profit", 12_790_479.0, "EUR") == "127,904.79 EUR"
    assert format_kpi("revenue", 0.0, "EUR") == "0.00 EUR"
    assert format_kpi("units", 1234.0, "EUR") == "1,234"
    assert format_kpi("stock_cover", 12.345, "EUR") == "12.3 days"
    assert format_kpi("revenue", None, "EUR") == "—"
