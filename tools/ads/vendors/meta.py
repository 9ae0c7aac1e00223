"""Meta Marketing API adapter for the budget subset of `AdsBackend`: get a campaign, set its budget, pause, resume.

Budgets are in minor units of the ad account's currency (Meta's own convention). Meta has no compare-and-set, so
`set_budget` reads then writes (a narrow race remains); caps count the ad account's ACTIVE campaign budgets
(campaigns budgeted on ad sets count as 0). The access token travels in the Authorization header, never in a
URL, and is scrubbed from every error message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from cadencia.tools.ads.budget import BudgetRules
from cadencia.tools.ads.models import BudgetChange, Campaign, CampaignChange, CampaignStatus, Objective, Platform
from cadencia.tools.errors import Conflict, NotFound, VendorError, VendorUnavailable
from cadencia.tools.limits import Limits

GRAPH_URL = "https://graph.facebook.com"
RATE_LIMITED = frozenset({4, 17, 32, 613})
"""Application, user, page and ad-account throttling codes: retry later."""
BUSINESS_RATE_LIMITED = range(80000, 80015)
OBJECTIVES = {
    "OUTCOME_SALES": Objective.CONVERSIONS,
    "OUTCOME_LEADS": Objective.CONVERSIONS,
    "OUTCOME_APP_PROMOTION": Objective.CONVERSIONS,
    "OUTCOME_TRAFFIC": Objective.TRAFFIC,
    "OUTCOME_ENGAGEMENT": Objective.TRAFFIC,
    "OUTCOME_AWARENESS": Objective.AWARENESS,
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
    """Budgets and status of Meta campaigns, under the same server-side limits as the sandbox.

    Meta has no idempotency keys: a retried call is made safe by the compare-and-set of `set_budget` and the status
    checks of pause/resume, which refuse a second action as a Conflict. No undo token: the caller records inverses.
    """

    platform = Platform.META

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        access_token: str,
        ad_account_id: str,
        currency: str,
        limits: Limits | None = None,
        api_version: str = "v21.0",
        active_elsewhere: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self._client = client
        self._token = access_token
        self._account = ad_account_id.removeprefix("act_")
        self._currency = currency
        self._rules = BudgetRules((limits or Limits()).budget)
        self._base = f"{GRAPH_URL}/{api_version}"
        self._elsewhere = active_elsewhere
        """Active daily budgets on other platforms, for the account cap; without it only Meta's are counted."""

    # -- transport and error mapping ----------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    async def _call(self, method: str, path: str, *, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One Graph API request; every failure becomes a VendorError / VendorUnavailable naming no secret."""
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            if method == "GET":
                response = await self._client.get(f"{self._base}/{path}", params=params, headers=headers)
            else:
                response = await self._client.post(f"{self._base}/{path}", data=params, headers=headers)
        except httpx.TransportError as exc:
            raise VendorUnavailable(f"Meta API unreachable ({type(exc).__name__}); retry later") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code >= 500:
                raise VendorUnavailable(f"Meta API returned HTTP {response.status_code}; retry later")
            raise VendorError(f"Meta API returned HTTP {response.status_code} without a JSON body")
        error = body.get("error")
        if isinstance(error, dict):
            raise self._error(response, error)
        if response.status_code >= 400:
            raise VendorError(f"Meta API returned HTTP {response.status_code}")
        return body

    def _error(self, response: httpx.Response, error: dict[str, Any]) -> VendorError:
        code = error.get("code")
        subcode = error.get("error_subcode")
        message = self._scrub(str(error.get("message", "")))[:300]
        if code in RATE_LIMITED or code in BUSINESS_RATE_LIMITED or response.status_code == 429:
            usage = response.headers.get("X-Business-Use-Case-Usage", "")
            hint = " (see X-Business-Use-Case-Usage for when access returns)" if usage else ""
            return VendorUnavailable(f"Meta API rate limit reached (code {code}){hint}; retry later", rule="rate_limit")
        if code == 190:
            return VendorError("Meta access token is invalid or expired; ask the operator to renew it", rule="auth")
        if code == 100 and subcode == 1885621:
            return VendorError(
                "Meta refuses a campaign budget when its ad sets have their own budgets; change the ad-set budgets",
                rule="budget_level",
            )
        if response.status_code >= 500:
            return VendorUnavailable(f"Meta API error {code}: {message}; retry later")
        return VendorError(f"Meta API error {code}/{subcode}: {message}")

    # -- mapping ------------------------------------------------------------------------------------------------

    async def _campaign(self, campaign_id: str) -> MetaCampaign:
        if not campaign_id.isdigit():
            raise NotFound(f"campaign_id: {campaign_id!r} is not a Meta campaign id (digits only)", field="campaign_id")
        return MetaCampaign.model_validate(await self._call("GET", campaign_id, params={"fields": CAMPAIGN_FIELDS}))

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

    async def _active_total(self) -> int:
        """Sum of daily budgets of the ad account's ACTIVE campaigns, following cursor pages."""
        total, after = 0, None
        while True:
            params = {"fields": "id,daily_budget", "effective_status": '["ACTIVE"]', "limit": "100"}
            if after:
                params["after"] = after
            page = await self._call("GET", f"act_{self._account}/campaigns", params=params)
            total += sum(int(c.get("daily_budget") or 0) for c in page.get("data", []))
            paging = page.get("paging", {})
            after = paging.get("cursors", {}).get("after") if paging.get("next") else None
            if not after:
                return total

    async def _snapshot(self, meta_total: int) -> dict[str, int]:
        """Active totals; the other platforms' sum never changes here, so only the account cap counts it."""
        others = await self._elsewhere() if self._elsewhere else 0
        return {"meta": meta_total, "other platforms": others}

    # -- AdsBackend subset --------------------------------------------------------------------------------------

    async def get_campaign(self, *, campaign_id: str) -> Campaign:
        return self._model(await self._campaign(campaign_id))

    async def set_budget(
        self,
        *,
        campaign_id: str,
        daily_budget_minor: int,
        currency: str,
        expected_current_minor: int,
        idempotency_key: str | None = None,
    ) -> BudgetChange:
        campaign = self._model(await self._campaign(campaign_id))
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
        before = await self._snapshot(await self._active_total())
        after = dict(before)
        if campaign.status is CampaignStatus.ACTIVE:
            after["meta"] += daily_budget_minor - current
        self._rules.compare(before, after)
        await self._call("POST", campaign_id, params={"daily_budget": str(daily_budget_minor)})
        return BudgetChange(
            campaign_id=campaign_id,
            currency=campaign.currency,
            previous_daily_budget_minor=current,
            daily_budget_minor=daily_budget_minor,
            totals=self._rules.totals(after, "meta"),
        )

    async def _set_status(self, campaign_id: str, allowed: CampaignStatus, target: CampaignStatus) -> CampaignChange:
        previous = self._model(await self._campaign(campaign_id))
        if previous.status is not allowed:
            raise Conflict(
                f"campaign_id: Meta campaign {campaign_id} is {previous.status.value}; it must be {allowed.value} "
                f"to become {target.value}",
                field="campaign_id",
            )
        before = await self._snapshot(await self._active_total())
        after = dict(before)
        if target is CampaignStatus.ACTIVE:
            self._rules.check_cap_currency(previous.currency, field="campaign_id")
            self._rules.check_minimum(previous.daily_budget_minor, field="campaign_id")
            after["meta"] += previous.daily_budget_minor
            self._rules.compare(before, after, field="campaign_id")
        else:
            after["meta"] -= previous.daily_budget_minor
        await self._call("POST", campaign_id, params={"status": target.value.upper()})
        return CampaignChange(
            campaign=previous.model_copy(update={"status": target}),
            previous=previous,
            totals=self._rules.totals(after, "meta"),
            note="Applied on Meta; spend already made stays spent.",
        )

    async def pause_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self._set_status(campaign_id, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)

    async def resume_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        return await self._set_status(campaign_id, CampaignStatus.PAUSED, CampaignStatus.ACTIVE)
