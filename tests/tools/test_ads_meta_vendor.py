"""The Meta Marketing API adapter against respx-mocked Graph API responses (no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import SecretStr

from cadencia.tools.ads.models import CampaignStatus, Objective
from cadencia.tools.ads.vendors.meta import MetaAds
from cadencia.tools.ads.vendors.meta_api import MetaGraph
from cadencia.tools.errors import Conflict, NotFound, PolicyViolation, VendorError, VendorUnavailable
from cadencia.tools.limits import BudgetLimits, Limits
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.auth import HeaderAuth
from cadencia.tools.vendors.http import VendorHttp
from cadencia.tools.vendors.ledger import VendorLedger
from cadencia.tools.vendors.secrets import Scrubber
from cadencia.tools.vendors.throttle import MetaUsageThrottle
from cadencia.tools.vendors.writes import VendorWrites

TOKEN = "EAAB-secret-token-123"
API = "https://graph.facebook.com/v27.0"
CAMPAIGN = {
    "id": "120200000001",
    "name": "Prospecting ES",
    "status": "ACTIVE",
    "objective": "OUTCOME_SALES",
    "daily_budget": "5000",
    "created_time": "2025-11-02T10:00:00+0000",
}
ACTIVE_PAGE_1 = {
    "data": [{"id": "120200000001", "daily_budget": "5000"}, {"id": "120200000002", "daily_budget": "12000"}],
    "paging": {"cursors": {"after": "QVFI"}, "next": f"{API}/act_42/campaigns?after=QVFI"},
}
ACTIVE_PAGE_2 = {"data": [{"id": "120200000003", "daily_budget": "15000"}], "paging": {"cursors": {"after": "QVFJ"}}}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


async def no_sleep(_: float) -> None:
    return None


def meta(
    client: httpx.AsyncClient,
    store: Store,
    *,
    account: str = "act_42",
    active_elsewhere: Callable[[], Awaitable[dict[str, int]]] | None = None,
    **budget: object,
) -> MetaAds:
    limits = Limits(budget=BudgetLimits(**budget))  # type: ignore[arg-type]
    http = VendorHttp(
        client,
        vendor="Meta",
        auth=HeaderAuth("Authorization", SecretStr(TOKEN), prefix="Bearer "),
        scrubber=Scrubber([TOKEN]),
        throttle=MetaUsageThrottle(),
        sleep=no_sleep,
    )
    writes = VendorWrites(VendorLedger(store, "meta"), vendor="Meta", shadow=False)
    return MetaAds(
        MetaGraph(http), writes, ad_account_id=account, currency="EUR", limits=limits, active_elsewhere=active_elsewhere
    )


def mock_reads(respx_mock: respx.MockRouter, campaign: dict[str, str] = CAMPAIGN) -> respx.Route:
    respx_mock.get(f"{API}/act_42/campaigns", params={"after": "QVFI"}).mock(
        return_value=httpx.Response(200, json=ACTIVE_PAGE_2)
    )
    respx_mock.get(f"{API}/act_42/campaigns").mock(return_value=httpx.Response(200, json=ACTIVE_PAGE_1))
    return respx_mock.get(f"{API}/{campaign['id']}").mock(return_value=httpx.Response(200, json=campaign))


async def test_get_campaign_maps_fields_and_sends_the_token_only_in_a_header(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, store: Store
) -> None:
    route = mock_reads(respx_mock)
    campaign = await meta(client, store).get_campaign(campaign_id="120200000001")
    assert campaign.status is CampaignStatus.ACTIVE and campaign.objective is Objective.CONVERSIONS
    assert campaign.daily_budget_minor == 5000 and campaign.currency == "EUR"
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}" and TOKEN not in str(request.url)


async def test_set_budget_reads_checks_caps_over_every_page_and_posts_minor_units(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, store: Store
) -> None:
    mock_reads(respx_mock)
    post = respx_mock.post(f"{API}/120200000001").mock(return_value=httpx.Response(200, json={"success": True}))
    changed = await meta(client, store).set_budget(
        campaign_id="120200000001", daily_budget_minor=7000, currency="EUR", expected_current_minor=5000
    )
    assert (changed.previous_daily_budget_minor, changed.daily_budget_minor) == (5000, 7000)
    assert changed.totals.platform_active_minor == 34_000 and changed.undo_token is not None
    assert parse_qs(post.calls.last.request.content.decode()) == {"daily_budget": ["7000"]}


async def test_set_budget_refusals_never_reach_the_write_endpoint(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, store: Store
) -> None:
    mock_reads(respx_mock)
    post = respx_mock.post(f"{API}/120200000001").mock(return_value=httpx.Response(200, json={"success": True}))
    args = {"campaign_id": "120200000001", "currency": "EUR", "expected_current_minor": 5000}
    with pytest.raises(Conflict, match="stale"):
        await meta(client, store).set_budget(**{**args, "daily_budget_minor": 6000, "expected_current_minor": 4000})
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await meta(client, store, platform_daily_cap_minor={"meta": 33_000}).set_budget(**args, daily_budget_minor=7000)
    with pytest.raises(PolicyViolation, match="max_budget_change"):
        await meta(client, store).set_budget(**args, daily_budget_minor=9000)

    async def elsewhere() -> dict[str, int]:
        return {"google": 340_000}

    capped = meta(client, store, account="42", active_elsewhere=elsewhere)
    with pytest.raises(PolicyViolation, match="account_daily_cap"):
        await capped.set_budget(**args, daily_budget_minor=7000)
    with pytest.raises(NotFound, match="campaign_id"):
        await meta(client, store).set_budget(**{**args, "campaign_id": "CMP-ME000"}, daily_budget_minor=6000)
    assert not post.called


async def test_pause_posts_paused_and_a_second_pause_is_a_conflict(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, store: Store
) -> None:
    mock_reads(respx_mock)
    post = respx_mock.post(f"{API}/120200000001").mock(return_value=httpx.Response(200, json={"success": True}))
    paused = await meta(client, store).pause_campaign(campaign_id="120200000001")
    assert paused.campaign.status is CampaignStatus.PAUSED and paused.totals.platform_active_minor == 27_000
    assert parse_qs(post.calls.last.request.content.decode()) == {"status": ["PAUSED"]}
    mock_reads(respx_mock, {**CAMPAIGN, "status": "PAUSED"})
    with pytest.raises(Conflict, match="must be active"):
        await meta(client, store).pause_campaign(campaign_id="120200000001")
    with pytest.raises(PolicyViolation, match="platform_daily_cap"):
        await meta(client, store, platform_daily_cap_minor={"meta": 33_000}).resume_campaign(campaign_id="120200000001")
    assert post.call_count == 1


@pytest.mark.parametrize("code", [4, 17, 613, 80004])
async def test_rate_limit_codes_are_vendor_unavailable_and_never_echo_the_token(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, store: Store, code: int
) -> None:
    error = {"error": {"message": f"Too many calls for token {TOKEN}", "type": "OAuthException", "code": code}}
    respx_mock.get(f"{API}/120200000001").mock(return_value=httpx.Response(400, json=error))
    with pytest.raises(VendorUnavailable) as caught:
        await meta(client, store).get_campaign(campaign_id="120200000001")
    assert "retry later" in str(caught.value) and TOKEN not in str(caught.value)


async def test_other_vendor_errors_are_mapped_and_scrubbed(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, store: Store
) -> None:
    expired = {"error": {"message": f"Error validating access token {TOKEN}", "code": 190}}
    respx_mock.get(f"{API}/1").mock(return_value=httpx.Response(401, json=expired))
    both = {"error": {"message": "Budget on campaign and ad set", "code": 100, "error_subcode": 1885621}}
    respx_mock.get(f"{API}/2").mock(return_value=httpx.Response(400, json=both))
    other = {"error": {"message": f"Unsupported request, token={TOKEN}", "code": 100, "error_subcode": 99}}
    respx_mock.get(f"{API}/3").mock(return_value=httpx.Response(400, json=other))
    respx_mock.get(f"{API}/4").mock(return_value=httpx.Response(503, text="upstream down"))
    respx_mock.get(f"{API}/5").mock(side_effect=httpx.ConnectError(f"cannot connect with {TOKEN}"))
    backend = meta(client, store)
    expected: list[tuple[str, type[VendorError], str]] = [
        ("1", VendorError, "invalid or expired"),
        ("2", VendorError, "ad-set budgets"),
        ("3", VendorError, "Unsupported request"),
        ("4", VendorUnavailable, "503"),
        ("5", VendorUnavailable, "unreachable"),
    ]
    for campaign_id, kind, needle in expected:
        with pytest.raises(kind) as caught:
            await backend.get_campaign(campaign_id=campaign_id)
        assert needle in str(caught.value) and TOKEN not in str(caught.value)


async def test_budget_undo_is_read_compare_write_and_shadow_only_validates(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, store: Store
) -> None:
    mock_reads(respx_mock)
    post = respx_mock.post(f"{API}/120200000001").mock(return_value=httpx.Response(200, json={"success": True}))
    backend = meta(client, store)
    changed = await backend.set_budget(
        campaign_id="120200000001", daily_budget_minor=7000, currency="EUR", expected_current_minor=5000
    )
    with pytest.raises(Conflict, match="stale"):
        await backend.undo(token=changed.undo_token or "")
    mock_reads(respx_mock, {**CAMPAIGN, "daily_budget": "7000"})
    await backend.undo(token=changed.undo_token or "")
    assert parse_qs(post.calls.last.request.content.decode()) == {"daily_budget": ["5000"]}

    mock_reads(respx_mock)
    post.reset()
    shadow = meta(client, store)
    shadow._writes.shadow = True
    await shadow.pause_campaign(campaign_id="120200000001")
    sent = parse_qs(post.calls.last.request.content.decode())
    assert sent == {"status": ["PAUSED"], "execution_options": ['["validate_only"]']} and post.call_count == 1
    assert [(p.tool, p.verdict, p.validated_by) for p in shadow._writes.ledger.proposals()] == [
        ("pause_campaign", "would_apply", "cadencia + Meta dry run")
    ]
