"""The ads backend contract, run on the sandbox over SQLite and PostgreSQL (`any_store`)."""

from __future__ import annotations

from datetime import date

import pytest

from cadencia.tools.ads.models import CampaignStatus, ExperimentMetric, Objective, Platform
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.limits import BudgetLimits, Limits
from cadencia.tools.store.store import Store

HIDDEN = {"saturation_minor", "hill_alpha", "adstock_theta", "response_max_minor", "attribution_inflation"}


def ads(store: Store, **budget: object) -> SandboxAds:
    return SandboxAds(store, Limits(budget=BudgetLimits(**budget)))  # type: ignore[arg-type]


async def test_campaigns_list_and_get_without_hidden_columns(any_store: Store) -> None:
    backend = ads(any_store)
    page = await backend.list_campaigns(platform=Platform.TIKTOK, status=CampaignStatus.ACTIVE, limit=2)
    assert [c.id for c in page.items] == ["CMP-TI000", "CMP-TI001"] and page.total == 3 and page.next_cursor
    campaign = await backend.get_campaign(campaign_id="CMP-TI000")
    assert campaign.holdout_pct == 10 and not HIDDEN & set(campaign.model_dump())
    with pytest.raises(NotFound, match="list_campaigns"):
        await backend.get_campaign(campaign_id="CMP-NOPE")


async def test_performance_marginal_roas_and_lift(any_store: Store) -> None:
    report = await ads(any_store).get_performance(days=28)
    by_id = {c.campaign_id: c for c in report.campaigns}
    for saturated in ("CMP-ME000", "CMP-GO001"):
        c = by_id[saturated]
        assert c.metrics.roas is not None and c.marginal.marginal_roas is not None
        assert c.marginal.marginal_roas < 0.6 * c.metrics.roas
    assert by_id["CMP-ME000"].lift is not None and by_id["CMP-ME001"].lift is None
    assert report.totals is not None and report.totals.spend_minor == sum(c.metrics.spend_minor for c in by_id.values())
    assert report.marginal.marginal_roas is not None and report.totals.roas is not None
    assert report.marginal.marginal_roas < report.totals.roas


async def test_set_budget_compare_and_set_caps_and_undo(any_store: Store) -> None:
    backend = ads(any_store, platform_daily_cap_minor={"meta": 34_000, "google": 150_000, "tiktok": 100_000})
    before = any_store.state_hash()
    with pytest.raises(Conflict):
        await backend.set_budget(
            campaign_id="CMP-ME001", daily_budget_minor=6000, currency="EUR", expected_current_minor=1
        )
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await backend.set_budget(
            campaign_id="CMP-ME001", daily_budget_minor=7500, currency="EUR", expected_current_minor=5000
        )
    with pytest.raises(InvalidArgument, match="currency"):
        await backend.set_budget(
            campaign_id="CMP-ME001", daily_budget_minor=6000, currency="COP", expected_current_minor=5000
        )
    changed = await backend.set_budget(
        campaign_id="CMP-ME001", daily_budget_minor=7000, currency="EUR", expected_current_minor=5000
    )
    assert (changed.previous_daily_budget_minor, changed.daily_budget_minor) == (5000, 7000)
    assert changed.totals.platform_active_minor == 34_000 and changed.undo_token
    await backend.undo(token=changed.undo_token)
    assert any_store.state_hash() == before


async def test_pause_resume_and_undo_respect_caps(any_store: Store) -> None:
    backend = ads(any_store, platform_daily_cap_minor={"meta": 32_000, "google": 150_000, "tiktok": 100_000})
    before = any_store.state_hash()
    paused = await backend.pause_campaign(campaign_id="CMP-ME000")
    assert paused.campaign.status is CampaignStatus.PAUSED and paused.undo_token
    raised = await backend.set_budget(
        campaign_id="CMP-ME001", daily_budget_minor=7500, currency="EUR", expected_current_minor=5000
    )
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await backend.resume_campaign(campaign_id="CMP-ME000")
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await backend.undo(token=paused.undo_token)
    assert raised.undo_token
    await backend.undo(token=raised.undo_token)
    await backend.undo(token=paused.undo_token)
    assert any_store.state_hash() == before


async def test_draft_launch_creatives_and_undo_ordering(any_store: Store) -> None:
    backend = ads(any_store)
    before = any_store.state_hash()
    created = await backend.create_campaign(
        platform=Platform.GOOGLE,
        name="Google · Search test",
        objective=Objective.TRAFFIC,
        daily_budget_minor=4000,
        currency="EUR",
        sku=None,
        holdout_pct=0,
        idempotency_key="contract-create-1",
    )
    again = await backend.create_campaign(
        platform=Platform.GOOGLE,
        name="Google · Search test",
        objective=Objective.TRAFFIC,
        daily_budget_minor=4000,
        currency="EUR",
        sku=None,
        holdout_pct=0,
        idempotency_key="contract-create-1",
    )
    assert again == created and created.campaign.status is CampaignStatus.DRAFT and created.undo_token
    draft_id = created.campaign.id
    with pytest.raises(PolicyViolation, match="CL-BEST"):
        await backend.create_creative(
            campaign_id=draft_id, headline="Best", body="Simply the best.", ai_generated=False, claim_ids=["CL-BEST"]
        )
    creative = await backend.create_creative(
        campaign_id=draft_id, headline="Free shipping", body="Over 50 EUR.", ai_generated=False, claim_ids=["CL-SHIP"]
    )
    with pytest.raises(Conflict, match="creatives"):
        await backend.undo(token=created.undo_token)
    assert creative.undo_token
    await backend.undo(token=creative.undo_token)
    await backend.undo(token=created.undo_token)
    assert any_store.state_hash() == before
    draft = await backend.create_campaign(
        platform=Platform.GOOGLE,
        name="Google · Launch",
        objective=Objective.CONVERSIONS,
        daily_budget_minor=4000,
        currency="EUR",
        sku="ML-000003",
        holdout_pct=10,
    )
    launched = await backend.launch_campaign(campaign_id=draft.campaign.id)
    assert launched.undo_token is None and launched.totals.platform_active_minor == 34_000


async def test_claims_library_filters_on_the_approved_flag(any_store: Store) -> None:
    backend = ads(any_store)
    approved = await backend.list_claims(approved_only=True, category="efficacy", limit=20)
    everything = await backend.list_claims(approved_only=False, category="efficacy", limit=20)
    assert [c.id for c in approved.items] == ["CL-HYDRA24"]
    assert {c.id for c in everything.items} == {"CL-HYDRA24", "CL-WRINKLE", "CL-CURE"}


async def test_experiments_start_report_and_undo(any_store: Store) -> None:
    backend = ads(any_store)
    with any_store.writing() as conn:
        any_store.set_world(conn, "today", date(2026, 2, 16).isoformat())
    before = any_store.state_hash()
    started = await backend.start_experiment(
        name="CTR", campaign_a="CMP-GO000", campaign_b="CMP-GO002", metric=ExperimentMetric.CTR, days=14
    )
    with pytest.raises(Conflict, match="still running"):
        await backend.start_experiment(
            name="CTR 2", campaign_a="CMP-GO002", campaign_b="CMP-GO001", metric=ExperimentMetric.CTR, days=7
        )
    with pytest.raises(InvalidArgument, match="same_platform"):
        await backend.start_experiment(
            name="X", campaign_a="CMP-GO001", campaign_b="CMP-TI001", metric=ExperimentMetric.CTR, days=7
        )
    with any_store.writing() as conn:
        any_store.set_world(conn, "today", date(2026, 3, 2).isoformat())
    report = await backend.get_experiment(experiment_id=started.experiment.id)
    assert report.until == date(2026, 3, 1) and report.arm_a.days_with_data == 14
    assert report.p_value is not None and "z-test" in report.test
    assert report.experiment.status == "completed"
    with any_store.writing() as conn:
        any_store.set_world(conn, "today", date(2026, 2, 16).isoformat())
    assert started.undo_token
    await backend.undo(token=started.undo_token)
    assert any_store.state_hash() == before
