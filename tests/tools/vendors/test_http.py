"""The shared vendor HTTP path: retries, Retry-After, circuit breaker, OAuth refresh, scrubbing (respx, no network)."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import SecretStr

from cadencia.tools.errors import VendorError, VendorUnavailable
from cadencia.tools.vendors.auth import HeaderAuth, OAuthRefresh
from cadencia.tools.vendors.breaker import CircuitBreaker
from cadencia.tools.vendors.http import RetryPolicy, VendorHttp, retry_after_seconds
from cadencia.tools.vendors.secrets import Scrubber
from cadencia.tools.vendors.throttle import MetaUsageThrottle, ShopifyCostThrottle

SECRET = "shpat_super-secret-0001"
URL = "https://vendor.example/api/thing"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def vendor_http(client: httpx.AsyncClient, clock: Clock, **kwargs: object) -> VendorHttp:
    scrubber = Scrubber([SECRET])
    return VendorHttp(
        client,
        vendor="Acme",
        auth=HeaderAuth("X-Token", SecretStr(SECRET)),
        scrubber=scrubber,
        breaker=CircuitBreaker("Acme", threshold=2, cooldown_s=30, clock=clock),
        sleep=clock.sleep,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_read_is_retried_after_429_and_5xx_honouring_retry_after(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    route = respx_mock.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(502),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    response = await vendor_http(client, clock, policy=RetryPolicy(jitter=False)).send("GET", URL, retry_safe=True)
    assert response.json() == {"ok": True} and route.call_count == 3
    assert clock.slept == [3.0, 1.0]
    assert route.calls.last.request.headers["X-Token"] == SECRET


async def test_backoff_without_retry_after_is_jittered_within_one_extra_step(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    waits = []
    for seed in range(5):
        clock = Clock()
        respx_mock.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200)])
        await vendor_http(client, clock, rng=random.Random(seed)).send("GET", URL, retry_safe=True)
        first, second = clock.slept
        assert 0.5 <= first < 1.0 and 1.0 <= second < 2.0
        waits.append(clock.slept)
    assert len({tuple(w) for w in waits}) == 5


async def test_a_write_without_idempotency_is_not_repeated_after_a_5xx_but_is_after_a_429(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(500, text="boom")])
    with pytest.raises(VendorUnavailable, match="outcome is unknown"):
        await vendor_http(client, clock).send("POST", URL, retry_safe=False, json={})
    assert route.call_count == 1
    respx_mock.reset()
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(429), httpx.Response(200, json={})])
    await vendor_http(client, clock).send("POST", URL, retry_safe=False, json={})
    assert route.call_count == 2


async def test_a_long_retry_after_is_reported_instead_of_waited_for(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    respx_mock.get(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(VendorUnavailable, match="3600s"):
        await vendor_http(client, clock).send("GET", URL, retry_safe=True)
    assert clock.slept == []


async def test_the_circuit_opens_after_repeated_failures_and_closes_after_the_cooldown(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    http = vendor_http(client, clock, policy=RetryPolicy(attempts=1))
    route = respx_mock.get(URL).mock(side_effect=httpx.ConnectError(f"no route, token {SECRET}"))
    for _ in range(2):
        with pytest.raises(VendorUnavailable, match="unreachable"):
            await http.send("GET", URL, retry_safe=True)
    with pytest.raises(VendorUnavailable, match="circuit") as caught:
        await http.send("GET", URL, retry_safe=True)
    assert route.call_count == 2 and caught.value.rule == "circuit_open"
    clock.now += 31
    route.mock(side_effect=None, return_value=httpx.Response(200, json={}))
    assert (await http.send("GET", URL, retry_safe=True)).status_code == 200
    assert not http.breaker.is_open


async def test_oauth_refreshes_before_first_use_and_after_a_401_without_leaking_secrets(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    scrubber = Scrubber([SECRET, "refresh-xyz-123"])
    auth = OAuthRefresh(
        vendor="Google",
        token_url="https://oauth2.example/token",
        client_id="cid",
        client_secret=SecretStr(SECRET),
        refresh_token=SecretStr("refresh-xyz-123"),
        scrubber=scrubber,
        clock=clock,
    )
    token = respx_mock.post("https://oauth2.example/token").mock(
        side_effect=[
            httpx.Response(200, json={"access_token": "ya29.first-token", "expires_in": 3600}),
            httpx.Response(200, json={"access_token": "ya29.second-token", "expires_in": 3600}),
        ]
    )
    api = respx_mock.get(URL).mock(side_effect=[httpx.Response(401), httpx.Response(200, json={})])
    http = VendorHttp(client, vendor="Google", auth=auth, scrubber=scrubber, sleep=clock.sleep)
    await http.send("GET", URL, retry_safe=True)
    assert token.call_count == 2 and api.calls.last.request.headers["Authorization"] == "Bearer ya29.second-token"
    assert "refresh_token=refresh-xyz-123" in token.calls.last.request.content.decode()

    token.mock(side_effect=None, return_value=httpx.Response(400, text=f"invalid_grant for refresh-xyz-123 {SECRET}"))
    respx_mock.get(URL).mock(side_effect=[httpx.Response(401, text="ya29.second-token expired")])
    caplog.set_level(logging.DEBUG)
    with pytest.raises(VendorError, match="renew the refresh token") as caught:
        await http.send("GET", URL, retry_safe=True)
    for text in (str(caught.value), caplog.text):
        assert SECRET not in text and "refresh-xyz-123" not in text and "ya29.second-token" not in text


async def test_errors_and_retry_logs_never_contain_a_credential(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    caplog.set_level(logging.WARNING)
    respx_mock.get(URL).mock(side_effect=httpx.ReadTimeout(f"timeout talking with {SECRET}"))
    with pytest.raises(VendorUnavailable, match="timed out") as caught:
        await vendor_http(client, clock).send("GET", URL, retry_safe=True)
    assert "retrying" in caplog.text
    assert SECRET not in str(caught.value) and SECRET not in caplog.text
    assert Scrubber([SECRET])(f"url?token={SECRET}&x=1") == "url?token=***&x=1"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    dated = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT"})
    assert retry_after_seconds(dated, now=datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)) == 30.0
    assert retry_after_seconds(httpx.Response(429)) is None


async def test_shopify_cost_bucket_waits_for_restored_points_and_retries_a_throttled_query(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    throttle = ShopifyCostThrottle(clock=clock, sleep=clock.sleep)
    low = {"requestedQueryCost": 100, "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 40,
                                                         "restoreRate": 100}}  # fmt: skip
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}], "extensions": {"cost": low}}
    respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(200, json=throttled),
            httpx.Response(200, json={"data": {}, "extensions": {"cost": low}}),
            httpx.Response(200, json={"data": {}}),
        ]
    )
    http = vendor_http(client, clock, throttle=throttle)
    await http.send("POST", URL, retry_safe=True, json={})
    assert clock.slept == [0.6]
    await http.send("POST", URL, retry_safe=True, json={})
    assert clock.slept == [0.6, 0.6]


async def test_meta_usage_headers_stop_requests_until_access_returns(
    respx_mock: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    usage = '{"1234": [{"type": "ads_management", "call_count": 96, "total_cputime": 10, "total_time": 20, ' \
        '"estimated_time_to_regain_access": 5}]}'  # fmt: skip
    route = respx_mock.get(URL).mock(
        return_value=httpx.Response(200, json={"id": "1"}, headers={"X-Business-Use-Case-Usage": usage})
    )
    http = vendor_http(client, clock, throttle=MetaUsageThrottle(clock=clock))
    await http.send("GET", URL, retry_safe=True)
    with pytest.raises(VendorUnavailable, match=r"96%.*5 min"):
        await http.send("GET", URL, retry_safe=True)
    clock.now += 301
    await http.send("GET", URL, retry_safe=True)
    assert route.call_count == 2
