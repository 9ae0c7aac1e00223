"""Meta Marketing API adapter (Graph API v27.0, released 2026-11-04) for the ads capability.

Doc pages used: developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions
(v27.0 current; v21.0, used before, is past its expiry), /docs/marketing-api/reference/ad-campaign-group (campaign
fields `daily_budget` in minor units, `status`, `objective`), /docs/graph-api/overview/rate-limiting (codes 4, 17,
32, 613, 80000-80014; `X-Business-Use-Case-Usage`, `X-Ad-Account-Usage`, `X-App-Usage`), /docs/marketing-api/
insights (`time_increment=1`). Unverified here: `execution_options=["validate_only"]` as the dry run of campaign
updates (documented for ads; assumed for campaigns) and `DELETE /{campaign_id}` as the undo of a draft.

Meta has no compare-and-set or idempotency keys: budget and status writes are absolute values (a repeat is
harmless) checked against a fresh read, and their undo is a read-compare-write refused when stale. Performance and
marginal ROAS come from the daily insights mirrored by `cadencia sync` (`vendors/performance.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from pydantic import BaseModel, ConfigDict

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
from cadencia.tools.ads.vendors.meta_api import MetaGraph, daily_insights
from cadencia.tools.ads.vendors.performance import Scope, mirrored
from cadencia.tools.errors import Conflict, NotFound
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page
from cadencia.tools.undo import UndoResult
from cadencia.tools.vendors.ledger import ObjectChange
from cadencia.tools.vendors.mirror import store_insights
from cadencia.tools.vendors.writes import Sent, VendorWrites, WritePlan, undo_with_vendor

OBJECTIVES = {
    "OUTCOME_SALES": Objective.CONVERSIONS,
    "OUTCOME_LEADS": Objective.CONVERSIONS,
    "OUTCOME_APP_PROMOTION": Objective.CONVERSIONS,
    "OUTCOME_TRAFFIC": Objective.TRAFFIC,
    "OUTCOME_ENGAGEMENT": Objective.TRAFFIC,
    "OUTCOME_AWARENESS": Objective.AWARENESS,
}
TO_META_OBJECTIVE = {
    Objective.CONVERSIONS: "OUTCOME_SALES",
    Objective.TRAFFIC: "OUTCOME_TRAFFIC",
    Objective.AWARENESS: "OUTCOME_AWARENESS",
}
STATUSES = {"ACTIVE": CampaignStatus.ACTIVE, "PAUSED": CampaignStatus.PAUSED}
CAMPAIGN_FIELDS = "id,name,status,objective,daily_budget,created_time"


class MetaCampaign(BaseModel):
    """The fields of a Graph API campaign object this adapter reads."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str = ""
    status: str
    objective: str = ""
    daily_budget: int | None = None
    created_time: str | None = None


class MetaAds(VendorAds):
    """Campaigns, budgets and status on one Meta ad account, under the same server-side limits as the sandbox."""

    platform = Platform.META
    vendor = "Meta"

    def __init__(
        self,
        graph: MetaGraph,
        writes: VendorWrites,
        *,
        ad_account_id: str,
        currency: str,
        limits: Limits | None = None,
        today: Callable[[], date] = utc_today,
        active_elsewhere: Elsewhere | None = None,
    ) -> None:
        super().__init__(writes, currency=currency, limits=limits, today=today, active_elsewhere=active_elsewhere)
        self._graph = graph
        self._account = ad_account_id.removeprefix("act_")

    # -- reads ---------------------------------------------------------------------------------------------------

    async def _raw(self, campaign_id: str) -> MetaCampaign:
        if not campaign_id.isdigit():
            raise NotFound(f"campaign_id: {campaign_id!r} is not a Meta campaign id (digits only)", field="campaign_id")
        return MetaCampaign.model_validate(await self._graph.get(campaign_id, {"fields": CAMPAIGN_FIELDS}))

    def _model(self, raw: MetaCampaign) -> Campaign:
        status = STATUSES.get(raw.status)
        if status is None:
            raise Conflict(
                f"campaign_id: Meta campaign {raw.id} is {raw.status}; it cannot be managed here", field="campaign_id"
            )
        created = date.fromisoformat(raw.created_time[:10]) if raw.created_time else date(1970, 1, 1)
        return Campaign(
            id=raw.id,
            platform=Platform.META,
            name=raw.name,
            status=status,
            objective=OBJECTIVES.get(raw.objective, Objective.CONVERSIONS),
            currency=self._currency,
            daily_budget_minor=raw.daily_budget or 0,
            sku=None,
            holdout_pct=0,
            created_on=created,
        )

    async def get_campaign(self, *, campaign_id: str) -> Campaign:
        return self._model(await self._raw(campaign_id))

    async def list_campaigns(
        self,
        *,
        platform: Platform | None = None,
        status: CampaignStatus | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[Campaign]:
        if platform not in (None, Platform.META):
            return Page(items=[])
        statuses = [status.value.upper()] if status else ["ACTIVE", "PAUSED"]
        params = {"fields": CAMPAIGN_FIELDS, "effective_status": json.dumps(statuses), "limit": str(limit)}
        if cursor:
            params["after"] = cursor
        page = await self._graph.get(f"act_{self._account}/campaigns", params)
        items = [self._model(MetaCampaign.model_validate(c)) for c in page.get("data", [])]
        paging = page.get("paging", {})
        after = paging.get("cursors", {}).get("after") if paging.get("next") else None
        return Page(items=items, next_cursor=after)

    async def active_total(self) -> int:
        """Sum of daily budgets of the ad account's ACTIVE campaigns, following cursor pages."""
        total, after = 0, None
        while True:
            params = {"fields": "id,daily_budget", "effective_status": '["ACTIVE"]', "limit": "100"}
            if after:
                params["after"] = after
            page = await self._graph.get(f"act_{self._account}/campaigns", params)
            total += sum(int(c.get("daily_budget") or 0) for c in page.get("data", []))
            paging = page.get("paging", {})
            after = paging.get("cursors", {}).get("after") if paging.get("next") else None
            if not after:
                return total

    async def performance_scope(self, campaign_id: str | None, window: Window) -> Scope:
        if campaign_id is not None:
            campaigns = [await self.get_campaign(campaign_id=campaign_id)]
        else:
            campaigns, after = [], None
            while True:
                page = await self.list_campaigns(cursor=after, limit=100)
                campaigns += page.items
                if not (after := page.next_cursor):
                    break
        return Scope(campaigns=campaigns, history=mirrored(self.ledger, {c.id: c.id for c in campaigns}, window))

    async def sync_insights(self, *, since: date, until: date) -> int:
        """Mirror daily campaign insights (spend, clicks, purchases) for the analytics."""
        rows = await daily_insights(self._graph, self._account, self._currency, since, until)
        return store_insights(self.ledger, rows, until.isoformat())

    # -- writes ----------------------------------------------------------------------------------------------------

    async def _post(self, campaign_id: str, fields: dict[str, str], *, validate_only: bool = False) -> None:
        data = dict(fields)
        if validate_only:
            data["execution_options"] = '["validate_only"]'
        await self._graph.post(campaign_id, data, retry_safe=True)

    def _write(self, campaign_id: str, fields: dict[str, str]) -> Write:
        async def write(dry: bool) -> None:
            await self._post(campaign_id, fields, validate_only=dry)

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
        args = {
            "campaign_id": campaign_id,
            "daily_budget_minor": daily_budget_minor,
            "currency": currency,
            "expected_current_minor": expected_current_minor,
        }

        async def load() -> BudgetTarget:
            campaign = self._model(await self._raw(campaign_id))
            return BudgetTarget(
                campaign=campaign,
                kind="campaign",
                object_id=campaign_id,
                counts=campaign.status is CampaignStatus.ACTIVE,
                write=lambda amount: self._write(campaign_id, {"daily_budget": str(amount)}),
            )

        return await self.change_budget(args, idempotency_key, load)

    async def set_status(
        self, tool: str, campaign_id: str, allowed: CampaignStatus, wanted: CampaignStatus, key: str | None
    ) -> CampaignChange:
        async def load() -> StatusTarget:
            campaign = self._model(await self._raw(campaign_id))
            return StatusTarget(
                campaign=campaign,
                delta=campaign.daily_budget_minor,
                image=lambda status: {"status": status.value.upper()},
                write=lambda status: self._write(campaign_id, {"status": status.value.upper()}),
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
        """A draft: created PAUSED, so nothing spends until `launch_campaign` passes the caps."""
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
            if platform is not Platform.META:
                raise self.unsupported("create_campaign", f"this ads backend is Meta, not {platform.value}")
            if holdout_pct:
                raise self.unsupported("create_campaign", "holdouts (use a Meta conversion lift study)")
            self._rules.check_cap_currency(currency)
            self._rules.check_minimum(daily_budget_minor)
            fields = {
                "name": name,
                "objective": TO_META_OBJECTIVE[objective],
                "status": "PAUSED",
                "special_ad_categories": "[]",
                "daily_budget": str(daily_budget_minor),
            }
            draft = Campaign(
                id="(assigned by Meta)",
                platform=Platform.META,
                name=name,
                status=CampaignStatus.PAUSED,
                objective=objective,
                currency=currency,
                daily_budget_minor=daily_budget_minor,
                sku=sku,
                holdout_pct=0,
                created_on=date.today(),
            )
            totals = self._rules.totals(await self.snapshot(), self.platform.value)

            async def send() -> Sent[CampaignChange]:
                created = await self._graph.post(f"act_{self._account}/campaigns", fields, retry_safe=False)
                campaign = draft.model_copy(update={"id": str(created["id"])})
                change = ObjectChange(
                    kind="campaign",
                    object_id=campaign.id,
                    before=None,
                    after={"status": "PAUSED", "daily_budget": daily_budget_minor},
                )
                return Sent(CampaignChange(campaign=campaign, previous=None, totals=totals), [change])

            async def dry_run() -> None:
                await self._graph.post(
                    f"act_{self._account}/campaigns",
                    {**fields, "execution_options": '["validate_only"]'},
                    retry_safe=True,
                )

            return WritePlan(
                result=CampaignChange(campaign=draft, previous=None, totals=totals),
                changes=[],
                effect=f"new paused Meta campaign {name!r}, {daily_budget_minor} {currency}/day",
                send=send,
                dry_run=dry_run,
            )

        return await self._writes.run(
            tool="create_campaign", args=args, key=idempotency_key, result_type=CampaignChange, plan=plan
        )

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        return await undo_with_vendor(self._writes, token=token, key=idempotency_key, compensate=self._compensate)

    async def _compensate(self, change: ObjectChange, _key: str) -> None:
        """Read-compare-write: put the before-image back only if Meta still shows what we wrote."""
        raw = await self._raw(change.object_id)
        now = {"status": raw.status, "daily_budget": raw.daily_budget or 0}
        after = change.after or {}
        if any(now[k] != v for k, v in after.items()):
            raise Conflict(
                f"cannot undo: Meta campaign {change.object_id} changed since ({now}); stale undo token",
                field="token",
                rule="stale_undo",
            )
        if change.before is None:
            await self._graph.delete(change.object_id)
            return
        if change.before.get("status") == "ACTIVE":
            await self.check_undo_caps(now["daily_budget"])
        if "daily_budget" in change.before and now["status"] == "ACTIVE":
            await self.check_undo_caps(change.before["daily_budget"] - now["daily_budget"])
        await self._post(change.object_id, {k: str(v) for k, v in change.before.items()})
