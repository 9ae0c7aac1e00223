"""Meta Marketing API adapter (Graph API v27.0, released 2026-11-04) for the ads capability.

Doc pages used: developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions
(v27.0 current; v21.0, used before, is past its expiry), /docs/marketing-api/reference/ad-campaign-group (campaign
fields `daily_budget` in minor units, `status`, `objective`), /docs/graph-api/overview/rate-limiting (codes 4, 17,
32, 613, 80000-80014; `X-Business-Use-Case-Usage`, `X-Ad-Account-Usage`, `X-App-Usage`), /docs/marketing-api/
insights (`time_increment=1`). Unverified here: `execution_options=["validate_only"]` as the dry run of campaign
updates (documented for ads; assumed for campaigns) and `DELETE /{campaign_id}` as the undo of a draft.

Meta has no compare-and-set or idempotency keys: budget and status writes are absolute values (a repeat is
harmless) checked against a fresh read, and their undo is a read-compare-write refused when stale.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from cadencia.tools.ads.budget import BudgetRules
from cadencia.tools.ads.models import (
    BudgetChange,
    BudgetLimitsView,
    Campaign,
    CampaignChange,
    CampaignStatus,
    Objective,
    Platform,
)
from cadencia.tools.ads.vendors.meta_api import MetaGraph, insight_row
from cadencia.tools.errors import Conflict, NotFound, NotSupported
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page
from cadencia.tools.undo import UndoResult
from cadencia.tools.vendors.ledger import ObjectChange
from cadencia.tools.vendors.mirror import DailyInsight, store_insights
from cadencia.tools.vendors.secrets import unsupported
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


class MetaAds:
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
        active_elsewhere: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self._graph, self._writes = graph, writes
        self._account = ad_account_id.removeprefix("act_")
        self._currency = currency
        self._rules = BudgetRules((limits or Limits()).budget)
        self._elsewhere = active_elsewhere
        """Active daily budgets on other platforms, for the account cap; without it only Meta's are counted."""

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

    async def _active_total(self) -> int:
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

    async def _snapshot(self) -> dict[str, int]:
        others = await self._elsewhere() if self._elsewhere else 0
        return {"meta": await self._active_total(), "other platforms": others}

    async def get_budget_limits(self) -> BudgetLimitsView:
        return self._rules.view(await self._snapshot())

    # -- writes ----------------------------------------------------------------------------------------------------

    async def _post(self, campaign_id: str, fields: dict[str, str], *, validate_only: bool = False) -> None:
        data = dict(fields)
        if validate_only:
            data["execution_options"] = '["validate_only"]'
        await self._graph.post(campaign_id, data, retry_safe=True)

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

        async def plan() -> WritePlan[BudgetChange]:
            campaign = self._model(await self._raw(campaign_id))
            self._rules.check_currency({"id": campaign.id, "currency": campaign.currency}, currency)
            current = campaign.daily_budget_minor
            if current != expected_current_minor:
                raise Conflict(
                    f"expected_current_minor {expected_current_minor} is stale: Meta campaign {campaign_id}'s daily "
                    f"budget is now {current}; decide again from the current value",
                    field="expected_current_minor",
                )
            self._rules.check_minimum(daily_budget_minor)
            self._rules.check_change(current, daily_budget_minor)
            before = await self._snapshot()
            after = dict(before)
            if campaign.status is CampaignStatus.ACTIVE:
                after["meta"] += daily_budget_minor - current
            self._rules.compare(before, after)
            fields = {"daily_budget": str(daily_budget_minor)}

            async def send() -> None:
                await self._post(campaign_id, fields)

            async def dry_run() -> None:
                await self._post(campaign_id, fields, validate_only=True)

            return WritePlan(
                result=BudgetChange(
                    campaign_id=campaign_id,
                    currency=campaign.currency,
                    previous_daily_budget_minor=current,
                    daily_budget_minor=daily_budget_minor,
                    totals=self._rules.totals(after, "meta"),
                ),
                changes=[
                    ObjectChange(
                        kind="campaign",
                        object_id=campaign_id,
                        before={"daily_budget": current},
                        after={"daily_budget": daily_budget_minor},
                    )
                ],
                effect=f"Meta campaign {campaign_id} daily budget {current} → {daily_budget_minor} {currency}",
                send=send,
                dry_run=dry_run,
            )

        return await self._writes.run(
            tool="set_budget", args=args, key=idempotency_key, result_type=BudgetChange, plan=plan
        )

    async def _set_status(
        self, tool: str, campaign_id: str, allowed: CampaignStatus, target: CampaignStatus, key: str | None
    ) -> CampaignChange:
        async def plan() -> WritePlan[CampaignChange]:
            previous = self._model(await self._raw(campaign_id))
            if previous.status is not allowed:
                raise Conflict(
                    f"campaign_id: Meta campaign {campaign_id} is {previous.status.value}; it must be "
                    f"{allowed.value} to become {target.value}",
                    field="campaign_id",
                )
            before = await self._snapshot()
            after = dict(before)
            if target is CampaignStatus.ACTIVE:
                self._rules.check_cap_currency(previous.currency, field="campaign_id")
                self._rules.check_minimum(previous.daily_budget_minor, field="campaign_id")
                after["meta"] += previous.daily_budget_minor
                self._rules.compare(before, after, field="campaign_id")
            else:
                after["meta"] -= previous.daily_budget_minor
            fields = {"status": target.value.upper()}

            async def send() -> None:
                await self._post(campaign_id, fields)

            async def dry_run() -> None:
                await self._post(campaign_id, fields, validate_only=True)

            return WritePlan(
                result=CampaignChange(
                    campaign=previous.model_copy(update={"status": target}),
                    previous=previous,
                    totals=self._rules.totals(after, "meta"),
                    note="Applied on Meta; spend already made stays spent.",
                ),
                changes=[
                    ObjectChange(
                        kind="campaign",
                        object_id=campaign_id,
                        before={"status": previous.status.value.upper()},
                        after={"status": target.value.upper()},
                    )
                ],
                effect=f"Meta campaign {campaign_id}: {previous.status.value} → {target.value}",
                send=send,
                dry_run=dry_run,
            )

        return await self._writes.run(
            tool=tool, args={"campaign_id": campaign_id}, key=key, result_type=CampaignChange, plan=plan
        )

    async def pause_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self._set_status(
            "pause_campaign", campaign_id, CampaignStatus.ACTIVE, CampaignStatus.PAUSED, idempotency_key
        )

    async def resume_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self._set_status(
            "resume_campaign", campaign_id, CampaignStatus.PAUSED, CampaignStatus.ACTIVE, idempotency_key
        )

    async def launch_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self._set_status(
            "launch_campaign", campaign_id, CampaignStatus.PAUSED, CampaignStatus.ACTIVE, idempotency_key
        )

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
                raise unsupported_here("create_campaign", f"this ads backend is Meta, not {platform.value}")
            if holdout_pct:
                raise unsupported_here("create_campaign", "holdouts (use a Meta conversion lift study)")
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
            totals = self._rules.totals(await self._snapshot(), "meta")

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
        await self._post(change.object_id, {k: str(v) for k, v in change.before.items()})

    async def get_performance(self, **_: object) -> Any:
        raise unsupported_here(
            "get_performance", "use `cadencia sync` to mirror daily insights; mROAS on the mirror is not wired yet"
        )

    async def list_claims(self, **_: object) -> Any:
        raise unsupported_here("list_claims", "the claims library lives in the sandbox store")

    async def list_creatives(self, **_: object) -> Any:
        raise unsupported_here("list_creatives", "creatives are managed in Ads Manager")

    async def create_creative(self, **_: object) -> Any:
        raise unsupported_here("create_creative", "creatives are managed in Ads Manager")

    async def list_experiments(self, **_: object) -> Any:
        raise unsupported_here("list_experiments", "use Meta A/B tests in Ads Manager")

    async def start_experiment(self, **_: object) -> Any:
        raise unsupported_here("start_experiment", "use Meta A/B tests in Ads Manager")

    async def get_experiment(self, **_: object) -> Any:
        raise unsupported_here("get_experiment", "use Meta A/B tests in Ads Manager")

    async def sync_insights(self, *, since: date, until: date) -> int:
        """Mirror daily campaign insights (spend, clicks, purchases) for the analytics."""
        params = {
            "level": "campaign",
            "time_increment": "1",
            "limit": "500",
            "fields": "campaign_id,spend,impressions,clicks,actions,action_values",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
        }
        rows: list[DailyInsight] = []
        after: str | None = None
        while True:
            page = await self._graph.get(
                f"act_{self._account}/insights", {**params, **({"after": after} if after else {})}
            )
            rows += [insight_row(r, self._currency) for r in page.get("data", [])]
            paging = page.get("paging", {})
            after = paging.get("cursors", {}).get("after") if paging.get("next") else None
            if not after:
                break
        return store_insights(self._writes.ledger, rows, until.isoformat())


def unsupported_here(tool: str, why: str) -> NotSupported:
    return unsupported("Meta", tool, why)
