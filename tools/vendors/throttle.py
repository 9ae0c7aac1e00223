"""Vendors' own rate signals: Shopify's GraphQL cost bucket and Meta's usage headers."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx

from cadencia.tools.errors import VendorUnavailable

META_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
"""Application, user, page, ad-account and business-use-case throttling error codes."""
META_USAGE_HEADERS = ("X-App-Usage", "X-Ad-Account-Usage", "X-Business-Use-Case-Usage")


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class ShopifyCostThrottle:
    """Leaky bucket from `extensions.cost.throttleStatus`: wait until the next query's cost has been restored."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        default_cost: float = 50.0,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self.expected_cost = default_cost
        self.maximum: float | None = None
        self.available = 0.0
        self.restore_rate = 50.0
        self._seen_at = 0.0

    def available_now(self) -> float | None:
        if self.maximum is None:
            return None
        return min(self.maximum, self.available + self.restore_rate * (self._clock() - self._seen_at))

    async def before(self) -> None:
        available = self.available_now()
        if available is not None and available < self.expected_cost and self.restore_rate > 0:
            await self._sleep((self.expected_cost - available) / self.restore_rate)

    def after(self, response: httpx.Response) -> float | None:
        body = _json_body(response)
        if not isinstance(body, dict):
            return None
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if status:
            self.maximum = float(status.get("maximumAvailable", 1000.0))
            self.available = float(status.get("currentlyAvailable", 0.0))
            self.restore_rate = float(status.get("restoreRate", 50.0)) or 50.0
            self._seen_at = self._clock()
        requested = cost.get("requestedQueryCost")
        if requested is not None:
            self.expected_cost = float(requested)
        errors = body.get("errors")
        throttled = isinstance(errors, list) and any(
            isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors
        )
        if not throttled:
            return None
        return max(0.0, (self.expected_cost - self.available) / self.restore_rate)


class MetaUsageThrottle:
    """Reads Meta's usage headers; refuses to send while an account is over `stop_pct` until access returns."""

    def __init__(self, *, stop_pct: float = 95.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._stop_pct, self._clock = stop_pct, clock
        self.usage_pct = 0.0
        self.regain_s = 0.0
        self._blocked_until = 0.0

    async def before(self) -> None:
        remaining = self._blocked_until - self._clock()
        if remaining > 0:
            raise VendorUnavailable(
                f"Meta usage is at {self.usage_pct:.0f}% of the rate limit; access returns in about "
                f"{remaining / 60:.0f} min; retry later",
                rule="rate_limit",
            )

    def after(self, response: httpx.Response) -> float | None:
        self._read_headers(response)
        if self.usage_pct >= self._stop_pct:
            self._blocked_until = self._clock() + max(self.regain_s, 60.0)
        body = _json_body(response)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") in META_RATE_LIMIT_CODES:
            return max(self.regain_s, 60.0)
        return None

    def _read_headers(self, response: httpx.Response) -> None:
        pct, regain = 0.0, 0.0
        for name in META_USAGE_HEADERS:
            raw = response.headers.get(name)
            if not raw:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            for entry in _usage_entries(value):
                for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct"):
                    if isinstance(entry.get(key), int | float):
                        pct = max(pct, float(entry[key]))
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float):
                    regain = max(regain, float(minutes) * 60)
                seconds = entry.get("reset_time_duration")
                if isinstance(seconds, int | float):
                    regain = max(regain, float(seconds))
        self.usage_pct, self.regain_s = pct, regain


def _usage_entries(value: Any) -> list[dict[str, Any]]:
    """App and ad-account usage are flat objects; business use-case usage maps ids to lists of entries."""
    if not isinstance(value, dict):
        return []
    if any(isinstance(v, list) for v in value.values()):
        return [e for v in value.values() if isinstance(v, list) for e in v if isinstance(e, dict)]
    return [value]
