"""One resilient HTTP path for every vendor adapter: auth, pacing, retries, circuit breaker, timeouts, scrubbing.

Retries use tenacity and honour `Retry-After` exactly (without one: exponential backoff plus random jitter); 429s and
vendor throttles are retried for any request (the vendor did not act on it), 5xx and transport errors only for
requests marked `retry_safe` (reads, writes carrying an idempotency key or a compare-and-set). Every error message
passes through the scrubber, so no credential leaves here.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import anyio
import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from cadencia.tools.errors import VendorUnavailable
from cadencia.tools.vendors.auth import Auth
from cadencia.tools.vendors.breaker import CircuitBreaker
from cadencia.tools.vendors.secrets import Scrubber

log = logging.getLogger("cadencia.vendors")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0
    """A vendor asking for a longer pause than this is reported unavailable instead of waited for."""
    timeout_s: float = 20.0
    jitter: bool = True
    """Add up to one more backoff step at random, so many clients retrying together do not stampede."""


class Throttle(Protocol):
    """A vendor's own rate signal: wait before a request, and spot a throttled answer (returns the delay)."""

    async def before(self) -> None: ...

    def after(self, response: httpx.Response) -> float | None: ...


class _Retry(Exception):
    def __init__(self, reason: str, delay: float | None, *, rejected: bool) -> None:
        super().__init__(reason)
        self.reason, self.delay, self.rejected = reason, delay, rejected
        """`rejected`: the vendor refused the request unprocessed, so repeating it cannot double a write."""


def retry_after_seconds(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds (delta-seconds or HTTP-date); None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class VendorHttp:
    """Sends requests to one vendor through auth, throttle, pacing limiter, retries and the circuit breaker."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        vendor: str,
        auth: Auth,
        scrubber: Scrubber,
        policy: RetryPolicy | None = None,
        limiter: AsyncLimiter | None = None,
        throttle: Throttle | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        rng: random.Random | None = None,
        retry_hint: Callable[[httpx.Response], float | None] | None = None,
    ) -> None:
        self.client, self.vendor, self.scrub = client, vendor, scrubber
        self._rng = rng or random.Random()
        self._retry_hint = retry_hint
        """A vendor's retry delay in the body of a 429/503 (Google's `retryDelay`), read when Retry-After is absent."""
        self._auth, self._policy = auth, policy or RetryPolicy()
        self._limiter, self._throttle = limiter, throttle
        self.breaker = breaker or CircuitBreaker(vendor)
        self._sleep = sleep

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retry) and error.delay is not None:
            return error.delay
        step = self._policy.initial_wait_s * 2 ** (state.attempt_number - 1)
        if self._policy.jitter:
            step += self._rng.uniform(0, step)
        return min(step, self._policy.max_wait_s)

    async def send(
        self,
        method: str,
        url: str,
        *,
        retry_safe: bool,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One logical request; returns the final response (4xx included) or raises VendorUnavailable."""
        self.breaker.check()

        def retryable(error: BaseException) -> bool:
            return isinstance(error, _Retry) and (error.rejected or retry_safe)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.attempts),
            wait=self._wait,
            retry=retry_if_exception(retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._attempt(method, url, params, json, data, headers)
        except _Retry as exc:
            self.breaker.record_failure()
            outcome = (
                "retry later"
                if exc.rejected or retry_safe
                else "the write's outcome is unknown: read the current state before trying again"
            )
            raise VendorUnavailable(
                self.scrub(f"{self.vendor} {exc.reason}; {outcome}"), rule="vendor_unavailable"
            ) from None
        self.breaker.record_success()
        return response

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(self.scrub(f"{self.vendor}: {error}; attempt {state.attempt_number} failed, retrying"))

    async def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json: Any,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        if self._throttle is not None:
            await self._throttle.before()
        refreshed = False
        while True:
            merged = {**(headers or {}), **await self._auth.headers(self.client)}
            try:
                if self._limiter is not None:
                    async with self._limiter:
                        response = await self._request(method, url, params, json, data, merged)
                else:
                    response = await self._request(method, url, params, json, data, merged)
            except httpx.TimeoutException as exc:
                raise _Retry(f"timed out ({type(exc).__name__})", None, rejected=False) from None
            except httpx.TransportError as exc:
                raise _Retry(
                    f"unreachable ({type(exc).__name__})", None, rejected=isinstance(exc, httpx.ConnectError)
                ) from None
            if response.status_code == 401 and not refreshed and await self._auth.refresh(self.client):
                refreshed = True
                continue
            break
        delay = retry_after_seconds(response)
        if delay is None and self._retry_hint is not None and response.status_code in (429, 503):
            delay = self._retry_hint(response)
        if delay is not None and delay > self._policy.max_wait_s and response.status_code in (429, 503):
            raise VendorUnavailable(
                f"{self.vendor} asks to wait {delay:.0f}s (Retry-After) before the next request; retry later",
                rule="rate_limit",
            )
        if response.status_code == 429:
            raise _Retry("rate limit reached (HTTP 429)", delay, rejected=True)
        if response.status_code >= 500:
            raise _Retry(f"returned HTTP {response.status_code}", delay, rejected=False)
        throttled = self._throttle.after(response) if self._throttle is not None else None
        if throttled is not None:
            if throttled > self._policy.max_wait_s:
                raise VendorUnavailable(
                    f"{self.vendor} is throttling this account for about {throttled:.0f}s; retry later",
                    rule="rate_limit",
                )
            raise _Retry("throttled the request", throttled, rejected=True)
        return response

    async def _request(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json: Any,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        return await self.client.request(
            method, url, params=params, json=json, data=data, headers=headers, timeout=self._policy.timeout_s
        )
