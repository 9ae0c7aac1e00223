"""The ads capability's contract: the sandbox and any vendor adapter implement it."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from cadencia.tools.ads.models import (
    BudgetChange,
    BudgetLimitsView,
    Campaign,
    CampaignChange,
    CampaignStatus,
    Claim,
    Creative,
    CreativeChange,
    Experiment,
    ExperimentChange,
    ExperimentMetric,
    ExperimentReport,
    Objective,
    PerformanceReport,
    Platform,
)
from cadencia.tools.paging import Page
from cadencia.tools.undo import UndoResult


class AdsBackend(Protocol):
    async def list_campaigns(
        self, *, platform: Platform | None, status: CampaignStatus | None, cursor: str | None, limit: int
    ) -> Page[Campaign]: ...

    async def get_campaign(self, *, campaign_id: str) -> Campaign: ...

    async def get_budget_limits(self) -> BudgetLimitsView: ...

    async def get_performance(
        self,
        *,
        campaign_id: str | None,
        platform: Platform | None,
        days: int,
        since: date | None,
        until: date | None,
        cursor: str | None,
        limit: int,
    ) -> PerformanceReport: ...

    async def set_budget(
        self,
        *,
        campaign_id: str,
        daily_budget_minor: int,
        currency: str,
        expected_current_minor: int,
        idempotency_key: str | None,
    ) -> BudgetChange: ...

    async def pause_campaign(self, *, campaign_id: str, idempotency_key: str | None) -> CampaignChange: ...

    async def resume_campaign(self, *, campaign_id: str, idempotency_key: str | None) -> CampaignChange: ...

    async def create_campaign(
        self,
        *,
        platform: Platform,
        name: str,
        objective: Objective,
        daily_budget_minor: int,
        currency: str,
        sku: str | None,
        holdout_pct: int,
        idempotency_key: str | None,
    ) -> CampaignChange: ...

    async def launch_campaign(self, *, campaign_id: str, idempotency_key: str | None) -> CampaignChange: ...

    async def list_claims(
        self, *, approved_only: bool, category: str | None, cursor: str | None, limit: int
    ) -> Page[Claim]: ...

    async def list_creatives(self, *, campaign_id: str | None, cursor: str | None, limit: int) -> Page[Creative]: ...

    async def create_creative(
        self,
        *,
        campaign_id: str,
        headline: str,
        body: str,
        ai_generated: bool,
        claim_ids: list[str],
        idempotency_key: str | None,
    ) -> CreativeChange: ...

    async def list_experiments(self, *, cursor: str | None, limit: int) -> Page[Experiment]: ...

    async def start_experiment(
        self,
        *,
        name: str,
        campaign_a: str,
        campaign_b: str,
        metric: ExperimentMetric,
        days: int,
        idempotency_key: str | None,
    ) -> ExperimentChange: ...

    async def get_experiment(self, *, experiment_id: str) -> ExperimentReport: ...

    async def undo(self, *, token: str, idempotency_key: str | None) -> UndoResult: ...
