"""The Google Ads adapter and the combined Meta + Google backend against stateful fakes (respx; no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from vendor_fakes import build as b
from vendor_fakes.google_ads import ACCESS_TOKEN, DEVELOPER_TOKEN, REFRESH_TOKEN, FakeGoogleAds, google_id
from vendor_fakes.meta import FakeMeta, meta_id

from cadencia.tools.ads.models import CampaignStatus, Objective, Platform
from cadencia.tools.ads.vendors.combined import CombinedAds
from cadencia.tools.ads.vendors.google_ads import GoogleAds
from cadencia.tools.errors import Conflict, NotFound, NotSupported, PolicyViolation, VendorError
from cadencia.tools.limits import BudgetLimits, Limits
from cadencia.tools.store.store import Store

GO0, GO1, GO2 = (google_id(f"CMP-GO00{i}") for i in range(3))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def fake(respx_mock: respx.MockRouter, store: Store) -> FakeGoogleAds:
    fake = FakeGoogleAds.from_store(store)
    b.route_google(respx_mock, fake)
    return fake


def google(store: Store, client: httpx.AsyncClient, *, shadow: bool = False, **budget: object) -> GoogleAds:
    built = b.build(store, client, b.config(ads=b.GOOGLE_ADS), shadow=shadow).ads
    assert isinstance(built, GoogleAds)
    if budget:
        built._limits = Limits(budget=BudgetLimits(**budget))  # type: ignore[arg-type]
        built._rules = type(built._rules)(built._limits.budget)
    return built


async def test_reads_send_the_developer_token_and_one_refreshed_bearer(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleAds, respx_mock: respx.MockRouter
) -> None:
    ads = google(store, client)
    page = await ads.list_campaigns(limit=2)
    assert [c.id for c in page.items] == [GO0, GO1] and page.total == 3 and page.next_cursor
    campaign = await ads.get_campaign(campaign_id=GO0)
    assert (campaign.daily_budget_minor, campaign.objective, campaign.status) == (
        20_000,
        Objective.CONVERSIONS,
        CampaignStatus.ACTIVE,
    )
    searches = [c.request for c in respx_mock.calls if c.request.url.host == "googleads.googleapis.com"]
    assert all(r.headers["developer-token"] == DEVELOPER_TOKEN for r in searches)
    assert all(r.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}" for r in searches)
    grants = [c for c in respx_mock.calls if c.request.url.host == "oauth2.googleapis.com"]
    assert len(grants) == 1 and REFRESH_TOKEN not in str(searches[0].url)
    with pytest.raises(NotFound, match="list_campaigns"):
        await ads.get_campaign(campaign_id="99")


async def test_a_shared_budget_edit_reports_every_campaign_it_moves_and_counts_once(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleAds
) -> None:
    budget = fake.share_budget(GO1, GO2)
    ads = google(store, client)
    assert (await ads.get_budget_limits()).platforms[1].active_minor == 20_000 + 5_000
    changed = await ads.set_budget(
        campaign_id=GO1, daily_budget_minor=6000, currency="EUR", expected_current_minor=5000
    )
    assert changed.shared_with == [GO2] and changed.totals.platform_active_minor == 26_000
    assert fake.budgets[budget]["amount_micros"] == 60_000_000
    assert (await ads.get_campaign(campaign_id=GO2)).daily_budget_minor == 6000


async def test_shadow_mode_sends_validate_only_and_changes_nothing(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleAds, respx_mock: respx.MockRouter
) -> None:
    fake.share_budget(GO1, GO2)
    ads = google(store, client, shadow=True)
    before = fake.state()
    await ads.set_budget(campaign_id=GO1, daily_budget_minor=6000, currency="EUR", expected_current_minor=5000)
    await ads.pause_campaign(campaign_id=GO0)
    await ads.create_campaign(
        platform=Platform.GOOGLE, name="Search", objective=Objective.TRAFFIC, daily_budget_minor=3000, currency="EUR"
    )
    assert fake.state() == before and fake.writes == []
    mutates = [json.loads(c.request.content) for c in respx_mock.calls if b":mutate" in c.request.url.raw_path]
    assert len(mutates) == 3 and all(m["validateOnly"] is True for m in mutates)
    proposals = ads.ledger.proposals()
    assert [(p.tool, p.validated_by) for p in proposals] == [
        ("set_budget", "cadencia + Google Ads dry run"),
        ("pause_campaign", "cadencia + Google Ads dry run"),
        ("create_campaign", "cadencia + Google Ads dry run"),
    ]
    assert "also changes campaigns" in proposals[0].detail and GO2 in proposals[0].effect


async def test_quota_errors_wait_the_retry_delay_and_errors_never_echo_credentials(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleAds, respx_mock: respx.MockRouter
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    ads = google(store, client)
    ads._api.http._sleep = sleep
    fake.throttle_next = 1
    assert (await ads.get_campaign(campaign_id=GO0)).id == GO0
    assert slept == [2.0]
    with pytest.raises(VendorError, match=r"mutateError\.RESOURCE_NOT_FOUND") as caught:
        await ads._mutate("campaignBudgets", [ads._budget_op(ads._api.resource("campaignBudgets", 1), 1000)])
    text = str(caught.value)
    assert DEVELOPER_TOKEN not in text and ACCESS_TOKEN not in text and REFRESH_TOKEN not in text


async def test_drafts_are_created_paused_atomically_and_undo_removes_campaign_and_budget(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleAds
) -> None:
    ads = google(store, client)
    with pytest.raises(NotSupported, match="not supported by Google Ads"):
        await ads.create_campaign(
            platform=Platform.GOOGLE, name="Video", objective=Objective.AWARENESS, daily_budget_minor=3000,
            currency="EUR",
        )  # fmt: skip
    created = await ads.create_campaign(
        platform=Platform.GOOGLE, name="Search ES", objective=Objective.CONVERSIONS, daily_budget_minor=3000,
        currency="EUR", idempotency_key="g-create-1",
    )  # fmt: skip
    new_id = created.campaign.id
    assert fake.campaigns[new_id]["status"] == "PAUSED" and fake.campaigns[new_id]["bidding"] == "MAXIMIZE_CONVERSIONS"
    budget = fake.campaigns[new_id]["budget"]
    assert fake.budgets[budget] == {"id": budget, "amount_micros": 30_000_000, "shared": False}
    assert created.undo_token
    await ads.undo(token=created.undo_token)
    assert new_id not in fake.campaigns and budget not in fake.budgets


async def test_budget_undo_is_refused_when_google_shows_another_amount(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleAds
) -> None:
    ads = google(store, client)
    changed = await ads.set_budget(
        campaign_id=GO0, daily_budget_minor=24_000, currency="EUR", expected_current_minor=20_000
    )
    fake.budgets[fake.campaigns[GO0]["budget"]]["amount_micros"] = 25_000_000
    with pytest.raises(Conflict, match="stale undo token"):
        await ads.undo(token=changed.undo_token or "")
    fake.budgets[fake.campaigns[GO0]["budget"]]["amount_micros"] = 240_000_000
    await ads.undo(token=changed.undo_token or "")
    assert fake.budgets[fake.campaigns[GO0]["budget"]]["amount_micros"] == 200_000_000


async def test_combined_backend_namespaces_ids_routes_undo_and_caps_both_platforms_together(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleAds, respx_mock: respx.MockRouter
) -> None:
    meta = FakeMeta.from_store(store)
    b.route_meta(respx_mock, meta)
    ads = b.build(store, client, b.config(ads=b.COMBINED)).ads
    assert isinstance(ads, CombinedAds)
    ids: list[str] = []
    cursor = None
    while True:
        page = await ads.list_campaigns(cursor=cursor, limit=2)
        ids += [c.id for c in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert ids == [f"meta:{meta_id(f'CMP-ME00{i}')}" for i in range(3)] + [f"google:{g}" for g in (GO0, GO1, GO2)]
    limits = await ads.get_budget_limits()
    assert limits.account_active_minor == 32_000 + 30_000
    for backend in ads.backends:
        backend._rules = type(backend._rules)(BudgetLimits(account_daily_cap_minor=64_000))
    with pytest.raises(PolicyViolation, match="account_daily_cap"):
        await ads.set_budget(
            campaign_id=f"google:{GO1}", daily_budget_minor=7_500, currency="EUR", expected_current_minor=5000
        )
    raised = await ads.set_budget(
        campaign_id=f"google:{GO1}", daily_budget_minor=7_000, currency="EUR", expected_current_minor=5000
    )
    paused = await ads.pause_campaign(campaign_id=f"meta:{meta_id('CMP-ME001')}")
    assert raised.campaign_id == f"google:{GO1}" and paused.campaign.id == f"meta:{meta_id('CMP-ME001')}"
    await ads.undo(token=paused.undo_token or "")
    await ads.undo(token=raised.undo_token or "")
    assert meta.campaigns[meta_id("CMP-ME001")]["status"] == "ACTIVE"
    assert fake.budgets[fake.campaigns[GO1]["budget"]]["amount_micros"] == 50_000_000
    with pytest.raises(NotFound, match="meta:<id>"):
        await ads.get_campaign(campaign_id=GO1)
