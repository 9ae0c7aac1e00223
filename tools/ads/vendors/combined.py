"""Meta and Google Ads behind one ads capability: calls routed by platform, ids namespaced, caps counted across both.

Campaign ids are shown as `meta:<id>` / `google:<id>` (both platforms use bare numbers, so a bare id would be
ambiguous). Each platform's backend counts the other's active budgets toward the account cap, so a budget raise on
one platform is refused when the two together would pass `account_daily_cap_minor`. Undo tokens go back to the
backend that issued them; performance over both comes from both mirrors in one report.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

from cadencia.tools.ads.budget import Snapshot
from cadencia.tools.ads.models import (
    BudgetChange,
    BudgetLimitsView,
    Campaign,
    CampaignChange,
    CampaignStatus,
    Claim,
    Objective,
    PerformanceReport,
    Platform,
)
from cadencia.tools.ads.vendors.common import VendorAds
from cadencia.tools.ads.vendors.performance import Scope, report, window_for
from cadencia.tools.errors import InvalidArgument, NotFound
from cadencia.tools.paging import Page
from cadencia.tools.undo import UndoResult

SEP = ":"


class CombinedAds:
    """Routes every ads tool to the Meta or Google Ads backend it concerns."""

    vendor = "Meta + Google Ads"

    def __init__(self, backends: list[VendorAds]) -> None:
        self._by_platform = {b.platform: b for b in backends}
        for backend in backends:
            backend.active_elsewhere = self._others_of(backend)

    def _others_of(self, backend: VendorAds) -> Any:
        async def others() -> Snapshot:
            out: Snapshot = {}
            for other in self._by_platform.values():
                if other is not backend:
                    out[other.platform.value] = await other.active_total()
            return out

        return others

    @property
    def backends(self) -> list[VendorAds]:
        return list(self._by_platform.values())

    def _route(self, campaign_id: str, field: str = "campaign_id") -> tuple[VendorAds, str]:
        prefix, sep, raw = campaign_id.partition(SEP)
        backend = self._by_platform.get(Platform(prefix)) if sep and prefix in {p.value for p in Platform} else None
        if backend is None:
            known = ", ".join(f"{p.value}{SEP}<id>" for p in self._by_platform)
            raise NotFound(f"{field}: {campaign_id!r} is not a campaign id here; ids look like {known}", field=field)
        return backend, raw

    def _platform(self, platform: Platform) -> VendorAds:
        backend = self._by_platform.get(platform)
        if backend is None:
            raise InvalidArgument(
                f"platform: no {platform.value} account is configured (configured: "
                f"{', '.join(p.value for p in self._by_platform)})",
                field="platform",
            )
        return backend

    @staticmethod
    def _shown(campaign: Campaign) -> Campaign:
        return campaign.model_copy(update={"id": f"{campaign.platform.value}{SEP}{campaign.id}"})

    def _change(self, change: CampaignChange) -> CampaignChange:
        previous = self._shown(change.previous) if change.previous else None
        return change.model_copy(update={"campaign": self._shown(change.campaign), "previous": previous})

    # -- reads ---------------------------------------------------------------------------------------------------

    async def get_campaign(self, *, campaign_id: str) -> Campaign:
        backend, raw = self._route(campaign_id)
        return self._shown(await backend.get_campaign(campaign_id=raw))

    async def list_campaigns(
        self,
        *,
        platform: Platform | None = None,
        status: CampaignStatus | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[Campaign]:
        """One platform's campaigns, or every platform's one after the other (the cursor remembers where)."""
        order = [platform] if platform else [p for p in Platform if p in self._by_platform]
        at, inner = _decode(cursor, order)
        items: list[Campaign] = []
        for position in range(at, len(order)):
            backend = self._by_platform.get(order[position])
            if backend is None:
                return Page(items=[])
            page = await backend.list_campaigns(status=status, cursor=inner, limit=limit - len(items))
            items += [self._shown(c) for c in page.items]
            inner = page.next_cursor
            if inner:
                return Page(items=items, next_cursor=_encode(position, inner))
            inner = None
            if len(items) >= limit and position + 1 < len(order):
                return Page(items=items, next_cursor=_encode(position + 1, None))
        return Page(items=items)

    async def get_budget_limits(self) -> BudgetLimitsView:
        return await self.backends[0].get_budget_limits()

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
        if campaign_id is not None:
            backend = self._route(campaign_id)[0]
            if platform not in (None, backend.platform):
                raise InvalidArgument(
                    f"platform: campaign {campaign_id} runs on {backend.platform.value}, not {platform.value}",
                    field="platform",
                )
            chosen = [backend]
        else:
            chosen = [self._platform(platform)] if platform else self.backends
        window = window_for([b.ledger for b in chosen], min(b.today() for b in chosen), days, since, until)
        scopes: list[Scope] = []
        for backend in chosen:
            raw_id = self._route(campaign_id)[1] if campaign_id else None
            scope = await backend.performance_scope(raw_id, window)
            shown = {c.id: self._shown(c).id for c in scope.campaigns}
            scopes.append(
                Scope(
                    campaigns=[self._shown(c) for c in scope.campaigns],
                    history={shown[k]: v for k, v in scope.history.items() if k in shown},
                )
            )
        label = campaign_id or (platform.value if platform else "all")
        return report(scopes, window, label=label, single=campaign_id is not None, cursor=cursor, limit=limit)

    async def list_claims(
        self, *, approved_only: bool = True, category: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Claim]:
        return await self.backends[0].list_claims(
            approved_only=approved_only, category=category, cursor=cursor, limit=limit
        )

    # -- writes ----------------------------------------------------------------------------------------------------

    async def set_budget(
        self,
        *,
        campaign_id: str,
        daily_budget_minor: int,
        currency: str,
        expected_current_minor: int,
        idempotency_key: str | None = None,
    ) -> BudgetChange:
        backend, raw = self._route(campaign_id)
        changed = await backend.set_budget(
            campaign_id=raw,
            daily_budget_minor=daily_budget_minor,
            currency=currency,
            expected_current_minor=expected_current_minor,
            idempotency_key=idempotency_key,
        )
        prefix = f"{backend.platform.value}{SEP}"
        return changed.model_copy(
            update={"campaign_id": campaign_id, "shared_with": [prefix + c for c in changed.shared_with]}
        )

    async def pause_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        backend, raw = self._route(campaign_id)
        return self._change(await backend.pause_campaign(campaign_id=raw, idempotency_key=idempotency_key))

    async def resume_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        backend, raw = self._route(campaign_id)
        return self._change(await backend.resume_campaign(campaign_id=raw, idempotency_key=idempotency_key))

    async def launch_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        backend, raw = self._route(campaign_id)
        return self._change(await backend.launch_campaign(campaign_id=raw, idempotency_key=idempotency_key))

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
        created = await self._platform(platform).create_campaign(
            platform=platform,
            name=name,
            objective=objective,
            daily_budget_minor=daily_budget_minor,
            currency=currency,
            sku=sku,
            holdout_pct=holdout_pct,
            idempotency_key=idempotency_key,
        )
        return self._change(created)

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        owner = self.backends[0].ledger.owner(token)
        for backend in self.backends:
            if backend.ledger.backend == owner:
                return await backend.undo(token=token, idempotency_key=idempotency_key)
        return await self.backends[0].undo(token=token, idempotency_key=idempotency_key)

    async def list_creatives(self, **kwargs: Any) -> Any:
        return await self.backends[0].list_creatives(**kwargs)

    async def create_creative(self, **kwargs: Any) -> Any:
        return await self.backends[0].create_creative(**kwargs)

    async def list_experiments(self, **kwargs: Any) -> Any:
        return await self.backends[0].list_experiments(**kwargs)

    async def start_experiment(self, **kwargs: Any) -> Any:
        return await self.backends[0].start_experiment(**kwargs)

    async def get_experiment(self, **kwargs: Any) -> Any:
        return await self.backends[0].get_experiment(**kwargs)


def _encode(position: int, inner: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps([position, inner]).encode()).decode()


def _decode(cursor: str | None, order: list[Platform]) -> tuple[int, str | None]:
    if not cursor:
        return 0, None
    try:
        position, inner = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("cursor is not one this server issued; omit it for page 1", field="cursor") from exc
    if not isinstance(position, int) or not 0 <= position < len(order):
        raise InvalidArgument("cursor is not one this server issued; omit it for page 1", field="cursor")
    return position, inner
