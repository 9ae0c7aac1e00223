"""The ads backend contract.

Part one runs on every backend — the sandbox and the Meta, Google Ads and combined adapters over fakes seeded from
the same sandbox data (`vendor_fakes.worlds`), each on SQLite and PostgreSQL: same campaigns, same refusals, same
undo, same performance figures; tools a vendor does not serve must raise NotSupported. Part two covers what only the
sandbox implements (hidden simulation columns, holdout lift, creatives, experiments).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import select
from vendor_fakes.worlds import ADS_WORLDS, World, ads_world

from cadencia.tools.ads.models import CampaignStatus, ExperimentMetric, Objective, Platform
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, NotSupported, PolicyViolation
from cadencia.tools.limits import BudgetLimits, Limits
from cadencia.tools.store.store import Store

HIDDEN = {"saturation_minor", "hill_alpha", "adstock_theta", "response_max_minor", "attribution_inflation"}


def ads(store: Store, **budget: object) -> SandboxAds:
    return SandboxAds(store, Limits(budget=BudgetLimits(**budget)))  # type: ignore[arg-type]


# -- every backend -----------------------------------------------------------------------------------------------


@pytest.fixture(params=ADS_WORLDS)
async def world(request: pytest.FixtureRequest, any_store: Store, respx_mock: respx.MockRouter) -> AsyncIterator[World]:
    async with httpx.AsyncClient() as client:
        yield ads_world(request.param, any_store, client, respx_mock)


def seeded(store: Store, platform: Platform) -> list[dict[str, Any]]:
    with store.reading() as conn:
        query = select(campaigns).where(campaigns.c.platform == platform.value).order_by(campaigns.c.id)
        return [dict(r) for r in conn.execute(query).mappings()]


def capped(platform: Platform, cap: int) -> Limits:
    caps = {"meta": 150_000, "google": 150_000, "tiktok": 100_000, platform.value: cap}
    return Limits(budget=BudgetLimits(platform_daily_cap_minor=caps))


async def test_every_backend_lists_and_reads_the_seeded_campaigns(world: World, any_store: Store) -> None:
    backend = world.make(Limits())
    rows = seeded(any_store, world.platform)
    ids: list[str] = []
    cursor = None
    while True:
        page = await backend.list_campaigns(
            platform=world.platform, status=CampaignStatus.ACTIVE, cursor=cursor, limit=2
        )
        assert len(page.items) <= 2 and (page.next_cursor is not None or not ids or len(page.items) <= 2)
        ids += [c.id for c in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert ids == [world.id(r["id"]) for r in rows]
    campaign = await backend.get_campaign(campaign_id=world.id(rows[1]["id"]))
    assert (campaign.name, campaign.status, campaign.currency, campaign.platform, campaign.daily_budget_minor) == (
        rows[1]["name"],
        CampaignStatus.ACTIVE,
        "EUR",
        world.platform,
        rows[1]["daily_budget_minor"],
    )
    with pytest.raises(NotFound):
        await backend.get_campaign(campaign_id=world.missing_id)


async def test_every_backend_checks_budgets_before_writing_and_undo_restores_the_vendor(
    world: World, any_store: Store
) -> None:
    rows = seeded(any_store, world.platform)
    active = sum(r["daily_budget_minor"] for r in rows)
    backend = world.make(capped(world.platform, active + 2000))
    target = world.id(rows[1]["id"])
    before = world.state()
    with pytest.raises(Conflict, match="stale"):
        await backend.set_budget(campaign_id=target, daily_budget_minor=6000, currency="EUR", expected_current_minor=1)
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await backend.set_budget(
            campaign_id=target, daily_budget_minor=7500, currency="EUR", expected_current_minor=5000
        )
    with pytest.raises(PolicyViolation, match="max_budget_change"):
        await backend.set_budget(
            campaign_id=target, daily_budget_minor=2000, currency="EUR", expected_current_minor=5000
        )
    with pytest.raises(InvalidArgument, match="currency"):
        await backend.set_budget(
            campaign_id=target, daily_budget_minor=6000, currency="COP", expected_current_minor=5000
        )
    assert world.state() == before
    changed = await backend.set_budget(
        campaign_id=target, daily_budget_minor=7000, currency="EUR", expected_current_minor=5000, idempotency_key="k1"
    )
    again = await backend.set_budget(
        campaign_id=target, daily_budget_minor=7000, currency="EUR", expected_current_minor=5000, idempotency_key="k1"
    )
    assert again == changed and (changed.previous_daily_budget_minor, changed.daily_budget_minor) == (5000, 7000)
    assert changed.totals.platform_active_minor == active + 2000 and changed.undo_token
    assert world.state() != before
    await backend.undo(token=changed.undo_token)
    assert world.state() == before
    with pytest.raises(Conflict, match="already used"):
        await backend.undo(token=changed.undo_token)


async def test_every_backend_holds_caps_on_resume_and_on_undo(world: World, any_store: Store) -> None:
    rows = seeded(any_store, world.platform)
    active = sum(r["daily_budget_minor"] for r in rows)
    backend = world.make(capped(world.platform, active))
    before = world.state()
    big, small = (world.id(r["id"]) for r in rows[:2])
    paused = await backend.pause_campaign(campaign_id=big)
    assert paused.campaign.status is CampaignStatus.PAUSED and paused.undo_token
    assert paused.totals.platform_active_minor == active - rows[0]["daily_budget_minor"]
    with pytest.raises(Conflict):
        await backend.pause_campaign(campaign_id=big)
    raised = await backend.set_budget(
        campaign_id=small, daily_budget_minor=7500, currency="EUR", expected_current_minor=5000
    )
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await backend.resume_campaign(campaign_id=big)
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await backend.undo(token=paused.undo_token)
    await backend.undo(token=raised.undo_token or "")
    await backend.undo(token=paused.undo_token)
    assert world.state() == before


async def test_every_backend_creates_drafts_that_do_not_spend_until_launched(world: World, any_store: Store) -> None:
    rows = seeded(any_store, world.platform)
    active = sum(r["daily_budget_minor"] for r in rows)
    backend = world.make(Limits())
    before = world.state()
    args: dict[str, Any] = {
        "platform": world.platform,
        "name": "Contract · Search",
        "objective": Objective.TRAFFIC,
        "daily_budget_minor": 4000,
        "currency": "EUR",
        "sku": None,
        "holdout_pct": 0,
    }
    with pytest.raises(PolicyViolation, match="min_daily_budget"):
        await backend.create_campaign(**{**args, "daily_budget_minor": 100})
    created = await backend.create_campaign(**args, idempotency_key="contract-create-1")
    assert await backend.create_campaign(**args, idempotency_key="contract-create-1") == created
    assert created.campaign.status is not CampaignStatus.ACTIVE and created.undo_token
    assert created.totals.platform_active_minor == active
    await backend.undo(token=created.undo_token)
    assert world.state() == before
    draft = await backend.create_campaign(**args)
    assert (await backend.get_campaign(campaign_id=draft.campaign.id)).daily_budget_minor == 4000
    launched = await backend.launch_campaign(campaign_id=draft.campaign.id)
    assert launched.campaign.status is CampaignStatus.ACTIVE and launched.totals.platform_active_minor == active + 4000


async def test_every_backend_reports_the_same_performance_and_marginal_roas(world: World, any_store: Store) -> None:
    await world.sync()
    backend = world.make(Limits())
    reference = await SandboxAds(any_store).get_performance(platform=world.platform, days=28)
    report = await backend.get_performance(platform=world.platform, days=28)
    assert (report.since, report.until) == (reference.since, reference.until) == (date(2026, 2, 2), date(2026, 3, 1))
    assert report.totals == reference.totals and report.marginal == reference.marginal
    mine = {c.campaign_id: c for c in report.campaigns}
    for expected in reference.campaigns:
        got = mine[world.id(expected.campaign_id)]
        assert (got.metrics, got.marginal, got.days_with_data) == (expected.metrics, expected.marginal, 28)
    one = seeded(any_store, world.platform)[0]["id"]
    single = await backend.get_performance(campaign_id=world.id(one), days=14)
    assert single.marginal == (await SandboxAds(any_store).get_performance(campaign_id=one, days=14)).marginal


async def test_every_backend_serves_the_approved_claims_library(world: World) -> None:
    backend = world.make(Limits())
    approved = await backend.list_claims(approved_only=True, category="efficacy", cursor=None, limit=20)
    everything = await backend.list_claims(approved_only=False, category="efficacy", cursor=None, limit=20)
    assert [c.id for c in approved.items] == ["CL-HYDRA24"]
    assert {c.id for c in everything.items} == {"CL-HYDRA24", "CL-WRINKLE", "CL-CURE"}


async def test_tools_a_vendor_cannot_serve_raise_not_supported_and_change_nothing(world: World) -> None:
    backend = world.make(Limits())
    before = world.state()
    assert bool(world.unsupported) == world.vendor
    for tool, kwargs in world.unsupported.items():
        with pytest.raises(NotSupported, match="not supported by"):
            await getattr(backend, tool)(**kwargs)
    assert world.state() == before


# -- sandbox only: simulation internals, holdout lift, creatives, experiments --------------------------------------


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
