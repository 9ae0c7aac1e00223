"""Currency truths: a campaign billed in COP counts towards the EUR caps (converted at Decimal rates), the simulator
books its spend in EUR, and a currency without a rate can never slip past a cap."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import update

from cadencia.evals.world import World
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.errors import PolicyViolation
from cadencia.tools.fx import from_account_minor, read_rates, to_account_minor, write_rates
from cadencia.tools.limits import BudgetLimits, Limits
from cadencia.tools.store.store import Store

COP = Decimal("0.00025")  # 1 COP = 0.00025 EUR: 4,000 COP to the euro
COP_BUDGET = 400_000_000  # 4,000,000.00 COP a day = 1,000.00 EUR


def _cop_campaign(store: Store, *, rates: bool = True) -> None:
    with store.writing() as conn:
        conn.execute(
            update(campaigns).where(campaigns.c.id == "CMP-GO002").values(currency="COP", daily_budget_minor=COP_BUDGET)
        )
        if rates:
            write_rates(conn, {"COP": COP})


def _limits(account_cap: int) -> Limits:
    return Limits(budget=BudgetLimits(account_daily_cap_minor=account_cap))


def test_conversion_is_decimal_half_even_in_minor_units_both_ways() -> None:
    assert to_account_minor(COP_BUDGET, "COP", "EUR", {"COP": COP}) == 100_000
    assert from_account_minor(100_000, "COP", "EUR", {"COP": COP}) == COP_BUDGET
    assert to_account_minor(1_000, "JPY", "EUR", {"JPY": Decimal("0.0061")}) == 610  # JPY has no minor digits
    assert to_account_minor(2, "COP", "EUR", {"COP": COP}) == 0  # 0.0005 cent rounds half-even to 0


def test_a_cop_campaign_counts_towards_the_account_cap(store: Store) -> None:
    _cop_campaign(store)
    # EUR campaigns total 82,000 cents (the COP one was 5,000); with the COP campaign's 1,000 EUR the account has
    # 182,000 active. Under a 185,000 cap a 5,000-cent raise fits only if the COP campaign is ignored.
    ads = SandboxAds(store, _limits(185_000))
    view = asyncio.run(ads.get_budget_limits())
    assert view.account_active_minor == 182_000
    with pytest.raises(PolicyViolation, match="account cap"):
        asyncio.run(
            ads.set_budget(
                campaign_id="CMP-ME000", daily_budget_minor=20_000, currency="EUR", expected_current_minor=15_000
            )
        )


def test_a_campaign_in_a_currency_without_a_rate_makes_the_caps_refuse(store: Store) -> None:
    _cop_campaign(store, rates=False)
    ads = SandboxAds(store, _limits(350_000))
    with pytest.raises(PolicyViolation, match="no exchange rate from COP"):
        asyncio.run(
            ads.set_budget(
                campaign_id="CMP-ME001", daily_budget_minor=6_000, currency="EUR", expected_current_minor=5_000
            )
        )


def test_the_limits_file_rates_apply_and_the_worlds_override_them(store: Store) -> None:
    _cop_campaign(store, rates=False)
    limits = Limits(budget=BudgetLimits(fx_rates={"COP": Decimal("0.0005")}))
    assert asyncio.run(SandboxAds(store, limits).get_budget_limits()).account_active_minor == 282_000
    with store.writing() as conn:
        write_rates(conn, {"COP": COP})
        assert read_rates(conn) == {"COP": COP}
    assert asyncio.run(SandboxAds(store, limits).get_budget_limits()).account_active_minor == 182_000


def test_the_simulator_books_a_cop_campaigns_spend_in_eur(store: Store) -> None:
    _cop_campaign(store)
    report = World(store, seed=3).step()
    google = report.spend_minor["google"]
    # Google's EUR campaigns budget 25,000 cents; the COP one adds ≈ 100,000 converted, not 400,000,000 centavos.
    assert 100_000 < google < 140_000
