"""What every ads vendor backend shares: caps across platforms, performance from the mirror, the claims library,
and the clear refusals for tools an ad platform's API does not serve here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cadencia.tools.ads.budget import BudgetRules, Snapshot
from cadencia.tools.ads.models import (
    BudgetChange,
    BudgetLimitsView,
    Campaign,
    CampaignChange,
    CampaignStatus,
    Claim,
    CreativeChange,
    Experiment,
    ExperimentChange,
    ExperimentReport,
    PerformanceReport,
    Platform,
)
from cadencia.tools.ads.reports import Window
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.ads.vendors.performance import Scope, report, window_for
from cadencia.tools.errors import Conflict, InvalidArgument, NotSupported
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page
from cadencia.tools.vendors.ledger import ObjectChange, VendorLedger
from cadencia.tools.vendors.secrets import unsupported
from cadencia.tools.vendors.writes import VendorWrites, WritePlan

Elsewhere = Callable[[], Awaitable[Snapshot]]
"""Active daily budgets of the other configured ad platforms, for the account-wide cap."""
Write = Callable[[bool], Awaitable[None]]
"""Sends one vendor write; `True` sends it as the vendor's dry run (validate only)."""


@dataclass
class BudgetTarget:
    """What a budget edit changes on the platform, read fresh before the write."""

    campaign: Campaign
    kind: str
    object_id: str
    counts: bool
    """Whether the budget funds an active campaign (so the edit moves the active total)."""
    write: Callable[[int], Write]
    shared_with: list[str] = field(default_factory=list)


@dataclass
class StatusTarget:
    """A campaign about to change status: the budget that starts or stops counting, and its status images."""

    campaign: Campaign
    delta: int
    image: Callable[[CampaignStatus], dict[str, Any]]
    write: Callable[[CampaignStatus], Write]


def utc_today() -> date:
    return datetime.now(UTC).date()


class VendorAds:
    """Base of the Meta and Google Ads backends; subclasses read and write their platform."""

    platform: Platform
    vendor: str

    def __init__(
        self,
        writes: VendorWrites,
        *,
        currency: str,
        limits: Limits | None = None,
        today: Callable[[], date] = utc_today,
        active_elsewhere: Elsewhere | None = None,
    ) -> None:
        self._writes = writes
        self._currency = currency
        self._limits = limits or Limits()
        self._rules = BudgetRules(self._limits.budget)
        self._today = today
        self.active_elsewhere = active_elsewhere
        """Without it only this platform's budgets count toward the account cap (one ads vendor configured)."""

    @property
    def ledger(self) -> VendorLedger:
        return self._writes.ledger

    def today(self) -> date:
        return self._today()

    def unsupported(self, tool: str, why: str) -> NotSupported:
        return unsupported(self.vendor, tool, why)

    async def active_total(self) -> int:
        """Sum of this platform's active daily budgets (each shared budget once), in minor units."""
        raise NotImplementedError

    async def performance_scope(self, campaign_id: str | None, window: Window) -> Scope:
        raise NotImplementedError

    async def snapshot(self) -> Snapshot:
        others = await self.active_elsewhere() if self.active_elsewhere else {}
        return {**others, self.platform.value: await self.active_total()}

    async def check_undo_caps(self, delta: int) -> None:
        """An undo that restarts or raises spend must pass the same caps as a new change would."""
        if delta <= 0:
            return
        before = await self.snapshot()
        after = {**before, self.platform.value: before.get(self.platform.value, 0) + delta}
        self._rules.compare(before, after, field="token")

    async def get_budget_limits(self) -> BudgetLimitsView:
        return self._rules.view(await self.snapshot())

    async def change_budget(
        self,
        args: dict[str, Any],
        key: str | None,
        load: Callable[[], Awaitable[BudgetTarget]],
        notes: Callable[[BudgetTarget], list[str]] = lambda _: [],
    ) -> BudgetChange:
        """`set_budget` on any platform: currency, compare-and-set, minimum, step and caps, then send or propose."""
        new, currency, expected = args["daily_budget_minor"], args["currency"], args["expected_current_minor"]

        async def plan() -> WritePlan[BudgetChange]:
            target = await load()
            campaign = target.campaign
            self._rules.check_currency({"id": campaign.id, "currency": campaign.currency}, currency)
            current = campaign.daily_budget_minor
            if current != expected:
                raise Conflict(
                    f"expected_current_minor {expected} is stale: {self.vendor} campaign {campaign.id}'s daily "
                    f"budget is now {current}; decide again from the current value",
                    field="expected_current_minor",
                )
            self._rules.check_minimum(new)
            self._rules.check_change(current, new)
            before = await self.snapshot()
            after = dict(before)
            if target.counts:
                after[self.platform.value] += new - current
            self._rules.compare(before, after)
            also = f" and campaigns {', '.join(target.shared_with)}" if target.shared_with else ""
            return WritePlan(
                result=BudgetChange(
                    campaign_id=campaign.id,
                    currency=campaign.currency,
                    previous_daily_budget_minor=current,
                    daily_budget_minor=new,
                    totals=self._rules.totals(after, self.platform.value),
                    shared_with=target.shared_with,
                ),
                changes=[
                    ObjectChange(
                        kind=target.kind,
                        object_id=target.object_id,
                        before={"daily_budget": current},
                        after={"daily_budget": new},
                    )
                ],
                effect=f"{self.vendor} campaign {campaign.id}{also}: daily budget {current} → {new} {currency}",
                send=lambda: target.write(new)(False),
                dry_run=lambda: target.write(new)(True),
                notes=notes(target),
            )

        return await self._writes.run(tool="set_budget", args=args, key=key, result_type=BudgetChange, plan=plan)

    async def change_status(
        self,
        tool: str,
        campaign_id: str,
        allowed: CampaignStatus,
        wanted: CampaignStatus,
        key: str | None,
        load: Callable[[], Awaitable[StatusTarget]],
    ) -> CampaignChange:
        """Pause, resume or launch on any platform: the status must be `allowed`; starting spend passes the caps."""

        async def plan() -> WritePlan[CampaignChange]:
            target = await load()
            previous = target.campaign
            if previous.status is not allowed:
                raise Conflict(
                    f"campaign_id: {self.vendor} campaign {campaign_id} is {previous.status.value}; it must be "
                    f"{allowed.value} to become {wanted.value}",
                    field="campaign_id",
                )
            before = await self.snapshot()
            after = dict(before)
            if wanted is CampaignStatus.ACTIVE:
                self._rules.check_cap_currency(previous.currency, field="campaign_id")
                self._rules.check_minimum(previous.daily_budget_minor, field="campaign_id")
                after[self.platform.value] += target.delta
                self._rules.compare(before, after, field="campaign_id")
            else:
                after[self.platform.value] -= target.delta
            return WritePlan(
                result=CampaignChange(
                    campaign=previous.model_copy(update={"status": wanted}),
                    previous=previous,
                    totals=self._rules.totals(after, self.platform.value),
                    note=f"Applied on {self.vendor}; spend already made stays spent.",
                ),
                changes=[
                    ObjectChange(
                        kind="campaign",
                        object_id=campaign_id,
                        before=target.image(allowed),
                        after=target.image(wanted),
                    )
                ],
                effect=f"{self.vendor} campaign {campaign_id}: {previous.status.value} → {wanted.value}",
                send=lambda: target.write(wanted)(False),
                dry_run=lambda: target.write(wanted)(True),
            )

        return await self._writes.run(
            tool=tool, args={"campaign_id": campaign_id}, key=key, result_type=CampaignChange, plan=plan
        )

    async def pause_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self.set_status(
            "pause_campaign", campaign_id, CampaignStatus.ACTIVE, CampaignStatus.PAUSED, idempotency_key
        )

    async def resume_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self.set_status(
            "resume_campaign", campaign_id, CampaignStatus.PAUSED, CampaignStatus.ACTIVE, idempotency_key
        )

    async def launch_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self.set_status(
            "launch_campaign", campaign_id, CampaignStatus.PAUSED, CampaignStatus.ACTIVE, idempotency_key
        )

    async def set_status(
        self, tool: str, campaign_id: str, allowed: CampaignStatus, wanted: CampaignStatus, key: str | None
    ) -> CampaignChange:
        raise NotImplementedError

    async def get_performance(
        self,
        *,
        campaign_id: str | None = None,
        platform: Platform | None = None,
        days: int = 28,
        since: date | None = None,
        until: date | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> PerformanceReport:
        """Figures and marginal ROAS over the mirrored daily insights (`cadencia sync`); no holdout lift."""
        if platform not in (None, self.platform):
            if campaign_id is not None:
                raise InvalidArgument(
                    f"platform: campaign {campaign_id} runs on {self.platform.value}, not {platform.value}",
                    field="platform",
                )
            window = window_for([self.ledger], self._today(), days, since, until)
            return report([], window, label=platform.value, single=False, cursor=cursor, limit=limit)
        window = window_for([self.ledger], self._today(), days, since, until)
        scope = await self.performance_scope(campaign_id, window)
        label = campaign_id or (platform.value if platform else "all")
        return report([scope], window, label=label, single=campaign_id is not None, cursor=cursor, limit=limit)

    async def list_claims(
        self, *, approved_only: bool = True, category: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Claim]:
        """The claims library is Cadencia's own (local store), whatever the ad platform."""
        claims = SandboxAds(self.ledger.store, self._limits)
        return await claims.list_claims(approved_only=approved_only, category=category, cursor=cursor, limit=limit)

    async def list_creatives(self, **_: Any) -> Page[Any]:
        raise self.unsupported("list_creatives", f"creatives are managed in {self.vendor}'s own tools")

    async def create_creative(self, **_: Any) -> CreativeChange:
        raise self.unsupported("create_creative", f"creatives are managed in {self.vendor}'s own tools")

    async def list_experiments(self, **_: Any) -> Page[Experiment]:
        raise self.unsupported("list_experiments", f"use {self.vendor}'s own experiments (A/B tests)")

    async def start_experiment(self, **_: Any) -> ExperimentChange:
        raise self.unsupported("start_experiment", f"use {self.vendor}'s own experiments (A/B tests)")

    async def get_experiment(self, **_: Any) -> ExperimentReport:
        raise self.unsupported("get_experiment", f"use {self.vendor}'s own experiments (A/B tests)")
