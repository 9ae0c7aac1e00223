"""Google APIs' error envelope (`google.rpc.Status` as JSON), shared by Google Ads and Business Profile.

A failed call answers `{"error": {"code", "message", "status", "details": [...]}}`; Google Ads puts a
`GoogleAdsFailure` (`errors[].errorCode.{kind}`, `message`, `details.quotaErrorDetails.retryDelay`) in `details`
(developers.google.com/google-ads/api/reference/rpc/v26/GoogleAdsError, .../QuotaErrorDetails). The camelCase JSON
spelling of those proto fields follows the standard proto3 JSON mapping; it was not seen in a REST sample (unverified).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.errors import NotFound, VendorError, VendorUnavailable

DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")


class GoogleAdsError(BaseModel):
    model_config = ConfigDict(extra="ignore")

    error_code: dict[str, str] = Field(default_factory=dict, alias="errorCode")
    message: str = ""
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def code(self) -> str:
        """`quotaError.RESOURCE_EXHAUSTED` style: which family and which error."""
        return ", ".join(f"{k}.{v}" for k, v in self.error_code.items())


class GoogleStatus(BaseModel):
    """The `error` object of a failed Google API call."""

    model_config = ConfigDict(extra="ignore")

    code: int = 0
    message: str = ""
    status: str = ""
    details: list[dict[str, Any]] = Field(default_factory=list)

    def ads_errors(self) -> list[GoogleAdsError]:
        return [
            GoogleAdsError.model_validate(e)
            for d in self.details
            if str(d.get("@type", "")).endswith("GoogleAdsFailure")
            for e in d.get("errors", [])
            if isinstance(e, dict)
        ]


def google_status(response: httpx.Response) -> GoogleStatus | None:
    """The error envelope of a response, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return GoogleStatus.model_validate(error) if isinstance(error, dict) else None


def retry_delay(response: httpx.Response) -> float | None:
    """Seconds from a quota error's `retryDelay` (e.g. "30s"), for VendorHttp's retry when Retry-After is absent."""
    status = google_status(response)
    if status is None:
        return None
    for error in status.ads_errors():
        raw = (error.details.get("quotaErrorDetails") or {}).get("retryDelay")
        match = DURATION.match(str(raw or ""))
        if match:
            return float(match.group(1))
    return None


def raise_for_google(response: httpx.Response, *, vendor: str, scrub: Any, what: str) -> None:
    """Map a failed Google response to our errors (no secret in any message); return quietly on success."""
    if response.status_code < 400:
        return
    status = google_status(response)
    if status is None:
        raise VendorError(f"{vendor} returned HTTP {response.status_code} for {what} without an error body")
    errors = status.ads_errors()
    codes = {e.code for e in errors}
    detail = scrub("; ".join(f"{e.code}: {e.message}" for e in errors) or status.message)[:400]
    if response.status_code == 401 or status.status == "UNAUTHENTICATED":
        raise VendorError(f"{vendor} refused the credentials ({detail}); ask the operator to renew them", rule="auth")
    if response.status_code == 403 or status.status == "PERMISSION_DENIED":
        raise VendorError(f"{vendor} denied {what}: {detail}", rule="permission")
    if response.status_code == 429 or any(c.startswith("quotaError") for c in codes):
        raise VendorUnavailable(f"{vendor} quota exhausted ({detail}); retry later", rule="rate_limit")
    if any("CONCURRENT_MODIFICATION" in c for c in codes):
        raise VendorUnavailable(f"{vendor}: {what} collided with another change ({detail}); retry", rule="concurrent")
    if response.status_code == 404 or status.status == "NOT_FOUND":
        raise NotFound(f"{vendor} has no such object for {what} ({detail})")
    raise VendorError(f"{vendor} refused {what}: {detail}")
