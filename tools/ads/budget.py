"""Budget invariants: currency, minimum, per-change %, and per-platform / account caps on ACTIVE daily budgets.

Caps are checked on the state after a change, inside the same transaction: a change is refused when it raises a
total above its cap (a change that lowers an already-over-cap total is always allowed). The totals span every
campaign, so every writer of a campaign's status or budget takes `BUDGET_LOCK` first (`BudgetRules.lock`): two
raises that each fit the cap cannot both pass on two server processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from cadencia.tools.ads.models import ActiveTotals, BudgetLimitsView, CampaignStatus, Platform, PlatformHeadroom
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.errors import InvalidArgument, PolicyViolation
from cadencia.tools.fx import MissingRate, read_rates, to_account_minor
from cadencia.tools.limits import BudgetLimits
from cadencia.tools.money import format_minor
from cadencia.tools.store.mutation import Mutation

BUDGET_LOCK = "ads.active_budgets"

Snapshot = dict[str, int]
"""Active daily budget per platform, in the caps' currency."""


def refusal(field: str, rule: str, message: str) -> PolicyViolation:
    """A policy refusal whose text names the argument and the rule, as the model sees only the text."""
    return PolicyViolation(f"{field}: {message} (rule {rule})", field=field, rule=rule)


class BudgetRules:
    """The `Limits.budget` section applied to the campaigns table."""

    def __init__(self, limits: BudgetLimits) -> None:
        self.limits = limits

    def _money(self, amount: int) -> str:
        return format_minor(amount, self.limits.currency)

    def rates(self, conn: Connection | None = None) -> dict[str, Decimal]:
        """Exchange rates into the caps' currency: the limits file's, overridden by the world's kept in the store."""
        return {**self.limits.fx_rates, **(read_rates(conn) if conn is not None else {})}

    def to_cap_minor(self, amount_minor: int, currency: str, rates: Mapping[str, Decimal], field: str) -> int:
        """An amount in the caps' currency; a currency without a rate is refused (a cap it escapes is no cap)."""
        try:
            return to_account_minor(amount_minor, currency, self.limits.currency, rates)
        except MissingRate:
            raise refusal(
                field,
                "cap_currency",
                f"budget caps are set in {self.limits.currency} and no exchange rate from {currency} is configured, "
                f"so a {currency} budget cannot be checked against them; ask the operator for a {currency} rate",
            ) from None

    def check_currency(self, row: Any, currency: str, rates: Mapping[str, Decimal] | None = None) -> None:
        """The caller's currency must be the campaign's, and the campaign's must be the caps' currency."""
        if currency != row["currency"]:
            raise InvalidArgument(
                f"currency {currency} does not match campaign {row['id']}, which is budgeted in {row['currency']}; "
                f"give daily_budget_minor in {row['currency']}",
                field="currency",
            )
        self.check_cap_currency(currency, rates=rates)

    def check_cap_currency(
        self, currency: str, field: str = "currency", rates: Mapping[str, Decimal] | None = None
    ) -> None:
        known = self.limits.fx_rates if rates is None else rates
        if currency != self.limits.currency and currency not in known:
            raise refusal(
                field,
                "cap_currency",
                f"budget caps are set in {self.limits.currency}; a budget in {currency} cannot be checked against "
                f"them, so the server refuses it. Use {self.limits.currency}",
            )

    def check_minimum(self, budget: int, field: str = "daily_budget_minor") -> None:
        floor = self.limits.min_daily_budget_minor
        if budget < floor:
            raise refusal(
                field,
                "min_daily_budget",
                f"daily budget {self._money(budget)} is below the minimum {self._money(floor)}; "
                "pause the campaign instead of starving it",
            )

    def check_change(self, current: int, new: int) -> None:
        pct = self.limits.max_change_pct
        allowed = current * pct // 100
        if abs(new - current) > allowed:
            step = current + allowed if new > current else current - allowed
            raise refusal(
                "daily_budget_minor",
                "max_budget_change",
                f"a single budget change may move at most {pct}% of the current {self._money(current)} "
                f"(requested {self._money(new)}); change it in steps, e.g. to {self._money(step)} first",
            )

    def platform_cap(self, platform: str) -> int:
        cap = self.limits.platform_daily_cap_minor.get(platform)
        if cap is None:
            raise refusal(
                "platform",
                "platform_daily_cap",
                f"no daily cap is configured for platform {platform!r}, so the server refuses to raise its spend; "
                "ask the operator to set budget.platform_daily_cap_minor",
            )
        return cap

    @staticmethod
    def lock(m: Mutation) -> None:
        """Serialise this call with every other change to active budgets; call it before reading any campaign."""
        m.serialize(BUDGET_LOCK)

    def snapshot(self, conn: Connection) -> Snapshot:
        """Active daily budgets per platform in the caps' currency: every campaign counts, converted at the world's
        rate (a campaign billed in a currency without a rate makes the caps uncheckable: refused)."""
        rows = conn.execute(
            select(
                campaigns.c.platform, campaigns.c.currency, func.coalesce(func.sum(campaigns.c.daily_budget_minor), 0)
            )
            .where(campaigns.c.status == CampaignStatus.ACTIVE.value)
            .group_by(campaigns.c.platform, campaigns.c.currency)
            .order_by(campaigns.c.platform, campaigns.c.currency)
        ).all()
        rates = self.rates(conn) if any(currency != self.limits.currency for _, currency, _ in rows) else {}
        totals: Snapshot = {}
        for platform, currency, amount in rows:
            converted = self.to_cap_minor(int(amount), currency, rates, "currency")
            totals[platform] = totals.get(platform, 0) + converted
        return totals

    def enforce(self, conn: Connection, before: Snapshot, field: str = "daily_budget_minor") -> Snapshot:
        """Refuse if the change raised a platform's or the account's active total above its cap."""
        after = self.snapshot(conn)
        self.compare(before, after, field)
        return after

    def compare(self, before: Snapshot, after: Snapshot, field: str = "daily_budget_minor") -> None:
        """Refuse `after` if it raised a platform's or the account's active total above its cap."""
        for platform in sorted(set(after) | set(before)):
            new, old = after.get(platform, 0), before.get(platform, 0)
            if new > old and new > self.platform_cap(platform):
                cap = self.platform_cap(platform)
                raise refusal(
                    field,
                    "platform_daily_cap",
                    f"active {platform} daily budgets would total {self._money(new)}, above the {platform} cap "
                    f"{self._money(cap)} (headroom before this change: {self._money(max(0, cap - old))}); lower or "
                    f"pause another {platform} campaign first, or ask for less",
                )
        new_total, old_total = sum(after.values()), sum(before.values())
        cap = self.limits.account_daily_cap_minor
        if new_total > old_total and new_total > cap:
            raise refusal(
                field,
                "account_daily_cap",
                f"active daily budgets on all platforms would total {self._money(new_total)}, above the account cap "
                f"{self._money(cap)} (headroom before this change: {self._money(max(0, cap - old_total))}); "
                "lower or pause another campaign first, or ask for less",
            )

    def totals(self, snapshot: Snapshot, platform: str) -> ActiveTotals:
        return ActiveTotals(
            currency=self.limits.currency,
            platform=Platform(platform),
            platform_active_minor=snapshot.get(platform, 0),
            platform_cap_minor=self.limits.platform_daily_cap_minor.get(platform, 0),
            account_active_minor=sum(snapshot.values()),
            account_cap_minor=self.limits.account_daily_cap_minor,
        )

    def view(self, snapshot: Snapshot) -> BudgetLimitsView:
        account = sum(snapshot.values())
        platforms = [
            PlatformHeadroom(
                platform=p,
                active_minor=snapshot.get(p.value, 0),
                cap_minor=self.limits.platform_daily_cap_minor.get(p.value, 0),
                headroom_minor=max(0, self.limits.platform_daily_cap_minor.get(p.value, 0) - snapshot.get(p.value, 0)),
            )
            for p in Platform
        ]
        return BudgetLimitsView(
            currency=self.limits.currency,
            max_change_pct=self.limits.max_change_pct,
            min_daily_budget_minor=self.limits.min_daily_budget_minor,
            account_active_minor=account,
            account_cap_minor=self.limits.account_daily_cap_minor,
            account_headroom_minor=max(0, self.limits.account_daily_cap_minor - account),
            platforms=platforms,
        )
