"""Google Ads as an ads backend (REST API v26; doc pages and what is unverified: see `google_ads_api`).

A campaign spends from a campaign budget that may be shared by several campaigns: `set_budget` edits that budget, so
one edit can move several campaigns; the result lists them (`shared_with`) and the caps count each shared budget once.
Writes are absolute values (a repeat is harmless) checked against a fresh read; undo is a read-compare-write refused
when Google shows something else than what Cadencia wrote. In shadow mode every write is sent with `validateOnly`.
Drafts are created PAUSED (Search campaigns with their own, non-shared budget). Google Ads campaigns report no
creation date in these queries: `created_on` is 1970-01-01 (unknown) except in the result of `create_campaign`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from cadencia.tools.ads.models import (
    BudgetChange,
    Campaign,
    CampaignChange,
    CampaignStatus,
    Objective,
    Platform,
)
from cadencia.tools.ads.reports import Window
from cadencia.tools.ads.vendors.common import BudgetTarget, Elsewhere, StatusTarget, VendorAds, Write, utc_today
from cadencia.tools.ads.vendors.google_ads_api import CampaignRow, GoogleAdsApi
from cadencia.tools.ads.vendors.performance import Scope, mirrored
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page, decode_cursor, next_cursor
from cadencia.tools.undo import UndoResult
from cadencia.tools.vendors.ledger import ObjectChange
from cadencia.tools.vendors.mirror import store_insights
from cadencia.tools.vendors.money import minor_to_micros
from cadencia.tools.vendors.writes import Sent, VendorWrites, WritePlan, undo_with_vendor

STATUSES = {"ENABLED": CampaignStatus.ACTIVE, "PAUSED": CampaignStatus.PAUSED}
TO_STATUS = {CampaignStatus.ACTIVE: "ENABLED", CampaignStatus.PAUSED: "PAUSED"}
OBJECTIVES = {
    "MANUAL_CPC": Objective.TRAFFIC,
    "TARGET_SPEND": Objective.TRAFFIC,
    "TARGET_IMPRESSION_SHARE": Objective.AWARENESS,
    "MANUAL_CPM": Objective.AWARENESS,
    "TARGET_CPM": Objective.AWARENESS,
}
BIDDING = {Objective.TRAFFIC: "manualCpc", Objective.CONVERSIONS: "maximizeConversions"}
UNKNOWN_DAY = date(1970, 1, 1)


class GoogleAds(VendorAds):
    """Campaigns, budgets (shared ones reported as such) and status on one Google Ads customer."""

    platform = Platform.GOOGLE
    vendor = "Google Ads"

    def __init__(
        self,
        api: GoogleAdsApi,
        writes: VendorWrites,
        *,
        currency: str,
        limits: Limits | None = None,
        today: Callable[[], date] = utc_today,
        active_elsewhere: Elsewhere | None = None,
    ) -> None:
        super().__init__(writes, currency=currency, limits=limits, today=today, active_elsewhere=active_elsewhere)
        self._api = api

    # -- reads ---------------------------------------------------------------------------------------------------

    async def _row(self, campaign_id: str) -> CampaignRow:
        if not campaign_id.isdigit():
            raise NotFound(
                f"campaign_id: {campaign_id!r} is not a Google Ads campaign id (digits only); call list_campaigns",
                field="campaign_id",
            )
        rows = await self._api.campaigns(campaign_id)
        if not rows:
            raise NotFound(f"No Google Ads campaign {campaign_id}; call list_campaigns", field="campaign_id")
        return rows[0]

    def _model(self, row: CampaignRow) -> Campaign:
        return Campaign(
            id=row.campaign.id,
            platform=Platform.GOOGLE,
            name=row.campaign.name,
            status=STATUSES[row.campaign.status],
            objective=OBJECTIVES.get(row.campaign.bidding_strategy_type, Objective.CONVERSIONS),
            currency=self._currency,
            daily_budget_minor=row.budget_minor(self._currency),
            sku=None,
            holdout_pct=0,
            created_on=UNKNOWN_DAY,
        )

    async def checked_currency(self) -> str:
        """The customer's currency, refused when it is not the one the configuration (and every amount) assumes."""
        currency = await self._api.currency()
        if currency != self._currency:
            raise InvalidArgument(
                f"the Google Ads account is in {currency} but backends.yaml says {self._currency}", field="currency"
            )
        return currency

    async def get_campaign(self, *, campaign_id: str) -> Campaign:
        return self._model(await self._row(campaign_id))

    async def list_campaigns(
        self,
        *,
        platform: Platform | None = None,
        status: CampaignStatus | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[Campaign]:
        offset = decode_cursor(cursor)
        if platform not in (None, Platform.GOOGLE):
            return Page(items=[], total=0)
        found = [self._model(r) for r in await self._api.campaigns()]
        found = [c for c in found if status is None or c.status is status]
        return Page(
            items=found[offset : offset + limit],
            next_cursor=next_cursor(offset, limit, len(found) - offset),
            total=len(found),
        )

    @staticmethod
    def _active_budgets(rows: list[CampaignRow]) -> dict[str, CampaignRow]:
        """Each budget that at least one ENABLED campaign spends from, once."""
        return {r.campaign_budget.id: r for r in rows if r.campaign.status == "ENABLED"}

    async def active_total(self) -> int:
        budgets = self._active_budgets(await self._api.campaigns())
        return sum(r.budget_minor(self._currency) for r in budgets.values())

    async def performance_scope(self, campaign_id: str | None, window: Window) -> Scope:
        campaigns = (
            [await self.get_campaign(campaign_id=campaign_id)]
            if campaign_id is not None
            else [self._model(r) for r in await self._api.campaigns()]
        )
        return Scope(campaigns=campaigns, history=mirrored(self.ledger, {c.id: c.id for c in campaigns}, window))

    async def sync_insights(self, *, since: date, until: date) -> int:
        """Mirror daily campaign metrics (cost, impressions, clicks, conversions and their value)."""
        rows = await self._api.daily_metrics(since, until, self._currency)
        return store_insights(self.ledger, rows, until.isoformat())

    # -- writes ----------------------------------------------------------------------------------------------------

    async def _mutate(self, service: str, operations: list[dict[str, Any]], *, dry: bool = False) -> dict[str, Any]:
        return await self._api.mutate(service, operations, validate_only=dry, retry_safe=service != "googleAds")

    def _budget_op(self, resource: str, amount_minor: int) -> dict[str, Any]:
        micros = minor_to_micros(amount_minor, self._currency)
        return {"update": {"resourceName": resource, "amountMicros": str(micros)}, "updateMask": "amount_micros"}

    def _status_op(self, campaign_id: str, status: str) -> dict[str, Any]:
        resource = self._api.resource("campaigns", campaign_id)
        return {"update": {"resourceName": resource, "status": status}, "updateMask": "status"}

    def _write(self, service: str, operation: dict[str, Any]) -> Write:
        async def write(dry: bool) -> None:
            await self._mutate(service, [operation], dry=dry)

        return write

    async def set_budget(
        self,
        *,
        campaign_id: str,
        daily_budget_minor: int,
        currency: str,
        expected_current_minor: int,
        idempotency_key: str | None = None,
    ) -> BudgetChange:
        """Edits the campaign's budget; when that budget is shared, every campaign on it moves (`shared_with`)."""
        args = {
            "campaign_id": campaign_id,
            "daily_budget_minor": daily_budget_minor,
            "currency": currency,
            "expected_current_minor": expected_current_minor,
        }

        async def load() -> BudgetTarget:
            row = await self._row(campaign_id)
            budget = row.campaign_budget
            sharing = [r for r in await self._api.campaigns() if r.campaign_budget.id == budget.id]
            return BudgetTarget(
                campaign=self._model(row),
                kind="budget",
                object_id=budget.resource_name,
                counts=any(r.campaign.status == "ENABLED" for r in sharing),
                write=lambda amount: self._write("campaignBudgets", self._budget_op(budget.resource_name, amount)),
                shared_with=[r.campaign.id for r in sharing if r.campaign.id != campaign_id],
            )

        def notes(target: BudgetTarget) -> list[str]:
            if not target.shared_with:
                return []
            return [f"shared budget: this edit also changes campaigns {', '.join(target.shared_with)}"]

        return await self.change_budget(args, idempotency_key, load, notes)

    async def set_status(
        self, tool: str, campaign_id: str, allowed: CampaignStatus, wanted: CampaignStatus, key: str | None
    ) -> CampaignChange:
        async def load() -> StatusTarget:
            row = await self._row(campaign_id)
            campaign = self._model(row)
            others_active = any(
                r.campaign_budget.id == row.campaign_budget.id
                and r.campaign.id != campaign_id
                and r.campaign.status == "ENABLED"
                for r in await self._api.campaigns()
            )
            return StatusTarget(
                campaign=campaign,
                delta=0 if others_active else campaign.daily_budget_minor,
                image=lambda status: {"status": TO_STATUS[status]},
                write=lambda status: self._write("campaigns", self._status_op(campaign_id, TO_STATUS[status])),
            )

        return await self.change_status(tool, campaign_id, allowed, wanted, key, load)

    async def create_campaign(
        self,
        *,
        platform: Platform,
        name: str,
        objective: Objective,
        daily_budget_minor: int,
        currency: str,
        sku: str | None = None,
        holdout_pct: int = 0,
        idempotency_key: str | None = None,
    ) -> CampaignChange:
        """A Search campaign draft with its own budget, created PAUSED atomically (`googleAds:mutate`)."""
        args = {
            "platform": platform.value,
            "name": name,
            "objective": objective.value,
            "daily_budget_minor": daily_budget_minor,
            "currency": currency,
            "sku": sku,
            "holdout_pct": holdout_pct,
        }

        async def plan() -> WritePlan[CampaignChange]:
            if platform is not Platform.GOOGLE:
                raise self.unsupported("create_campaign", f"this ads backend is Google Ads, not {platform.value}")
            if holdout_pct:
                raise self.unsupported("create_campaign", "holdouts (use a Google Ads conversion lift study)")
            if objective not in BIDDING:
                raise self.unsupported(
                    "create_campaign", "awareness campaigns (Display/Video need assets; create them in Google Ads)"
                )
            self._rules.check_cap_currency(currency)
            self._rules.check_minimum(daily_budget_minor)
            operations = self._create_ops(name, objective, daily_budget_minor)
            draft = Campaign(
                id="(assigned by Google Ads)",
                platform=Platform.GOOGLE,
                name=name,
                status=CampaignStatus.PAUSED,
                objective=objective,
                currency=currency,
                daily_budget_minor=daily_budget_minor,
                sku=sku,
                holdout_pct=0,
                created_on=self._today(),
            )
            totals = self._rules.totals(await self.snapshot(), self.platform.value)

            async def send() -> Sent[CampaignChange]:
                answer = await self._mutate("googleAds", operations)
                results = answer.get("mutateOperationResponses", [])
                resource = next(r["campaignResult"]["resourceName"] for r in results if "campaignResult" in r)
                campaign = draft.model_copy(update={"id": resource.rsplit("/", 1)[-1]})
                change = ObjectChange(kind="campaign", object_id=campaign.id, before=None, after={"status": "PAUSED"})
                return Sent(CampaignChange(campaign=campaign, previous=None, totals=totals), [change])

            async def dry_run() -> None:
                await self._mutate("googleAds", operations, dry=True)

            return WritePlan(
                result=CampaignChange(campaign=draft, previous=None, totals=totals),
                changes=[],
                effect=f"new paused Google Ads Search campaign {name!r}, {daily_budget_minor} {currency}/day",
                send=send,
                dry_run=dry_run,
            )

        return await self._writes.run(
            tool="create_campaign", args=args, key=idempotency_key, result_type=CampaignChange, plan=plan
        )

    def _create_ops(self, name: str, objective: Objective, daily_budget_minor: int) -> list[dict[str, Any]]:
        budget = self._api.resource("campaignBudgets", -1)
        micros = minor_to_micros(daily_budget_minor, self._currency)
        return [
            {
                "campaignBudgetOperation": {
                    "create": {
                        "resourceName": budget,
                        "name": f"{name} (budget)",
                        "amountMicros": str(micros),
                        "deliveryMethod": "STANDARD",
                        "explicitlyShared": False,
                    }
                }
            },
            {
                "campaignOperation": {
                    "create": {
                        "name": name,
                        "status": "PAUSED",
                        "advertisingChannelType": "SEARCH",
                        "campaignBudget": budget,
                        BIDDING[objective]: {},
                        "networkSettings": {
                            "targetGoogleSearch": True,
                            "targetSearchNetwork": True,
                            "targetContentNetwork": False,
                        },
                        "containsEuPoliticalAdvertising": "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING",
                    }
                }
            },
        ]

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        return await undo_with_vendor(self._writes, token=token, key=idempotency_key, compensate=self._compensate)

    async def _compensate(self, change: ObjectChange, _key: str) -> None:
        """Read-compare-write: put the before-image back only if Google Ads still shows what Cadencia wrote; an undo
        that restarts or raises spend passes the caps like a new change."""
        after, before = change.after or {}, change.before or {}
        everyone = await self._api.campaigns()
        if change.kind == "budget":
            on_budget = [r for r in everyone if r.campaign_budget.resource_name == change.object_id]
            now = on_budget[0].budget_minor(self._currency) if on_budget else None
            self._refuse_if_moved(change, {"daily_budget": now}, after)
            if any(r.campaign.status == "ENABLED" for r in on_budget):
                await self.check_undo_caps(before["daily_budget"] - (now or 0))
            await self._mutate("campaignBudgets", [self._budget_op(change.object_id, before["daily_budget"])])
            return
        row = next((r for r in everyone if r.campaign.id == change.object_id), None)
        self._refuse_if_moved(change, {"status": row.campaign.status if row else None}, after)
        if change.before is None:
            await self._mutate("campaigns", [{"remove": self._api.resource("campaigns", change.object_id)}])
            return
        if row is not None and before["status"] == "ENABLED":
            shared = any(
                r.campaign_budget.id == row.campaign_budget.id and r.campaign.status == "ENABLED" for r in everyone
            )
            await self.check_undo_caps(0 if shared else row.budget_minor(self._currency))
        await self._mutate("campaigns", [self._status_op(change.object_id, before["status"])])

    @staticmethod
    def _refuse_if_moved(change: ObjectChange, now: dict[str, Any], after: dict[str, Any]) -> None:
        if any(now.get(k) != v for k, v in after.items()):
            raise Conflict(
                f"cannot undo: Google Ads {change.kind} {change.object_id} changed since ({now}); stale undo token",
                field="token",
                rule="stale_undo",
            )
