"""Klaviyo REST API (JSON:API) transport: revision header, cursor pages, error bodies mapped to our errors.

Revision 2026-10-15 (the current stable one: developers.klaviyo.com/en/reference changelog "Revision 2026-10-15 (GA)";
revisions are supported two years). Doc pages and OpenAPI files used (github.com/klaviyo/openapi, stable/apis/):
- get_profiles.json / get_profiles_for_segment.json: `additional-fields[profile]=subscriptions,predictive_analytics`,
  `page[size]` ≤ 100, `page[cursor]`, `filter=equals(email,'…')`;
  `subscriptions.{email,sms,whatsapp}.marketing.consent`,
  `email.marketing.suppression[].reason` (HARD_BOUNCE, SPAM_COMPLAINT, UNSUBSCRIBE, USER_SUPPRESSED, INVALID_EMAIL),
  `can_receive_email_marketing` is true for any unsuppressed profile (implicit consent — Cadencia requires explicit).
- create_campaign.json (2026-07-15 shape: `send_strategy.method` static/immediate with `datetime`,
  `campaign-messages.data[].attributes.definition.{channel, content}`, `send_options.use_smart_sending`), status enum.
- cancel_campaign_send.json (`PATCH /api/campaign-send-jobs/{id}`, action `cancel` | `revert`), send_campaign
  (`POST /api/campaign-send-jobs`), bulk_suppress_profiles ("supports email only").
- docs: rate_limits_and_error_handling (429 with `Retry-After`), collect_email_and_sms_consent_via_api.
Unverified here: the create-list and add-profiles-to-list bodies (`/api/lists`, `/api/lists/{id}/relationships/
profiles`) and the template create body (`editor_type: CODE`) were taken from the OpenAPI file names and public
client code, not re-read field by field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from cadencia.tools.errors import NotFound, VendorError, VendorUnavailable
from cadencia.tools.vendors.http import VendorHttp

KLAVIYO_URL = "https://a.klaviyo.com"
REVISION = "2026-10-15"
JSON_API = "application/vnd.api+json"
Doc = dict[str, Any]


class KlaviyoApi:
    """Calls one Klaviyo account through VendorHttp with the pinned revision; failures become our errors."""

    def __init__(self, http: VendorHttp, *, revision: str = REVISION, base_url: str = KLAVIYO_URL) -> None:
        self.http = http
        self.base = base_url.rstrip("/") + "/api"
        self._headers = {"revision": revision, "accept": JSON_API}

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Doc | None = None,
        retry_safe: bool = True,
    ) -> Doc:
        headers = dict(self._headers)
        if body is not None:
            headers["content-type"] = JSON_API
        response = await self.http.send(
            method, f"{self.base}/{path}", params=params, json=body, headers=headers, retry_safe=retry_safe
        )
        self._raise(response, f"{method} /api/{path.split('?')[0]}")
        return response.json() if response.content else {}

    async def get(self, path: str, params: dict[str, str] | None = None) -> Doc:
        return await self.request("GET", path, params=params)

    async def page(self, path: str, params: dict[str, str], cursor: str | None) -> tuple[list[Doc], str | None]:
        """One page of a collection and the `page[cursor]` of the next one (from `links.next`)."""
        doc = await self.get(path, {**params, **({"page[cursor]": cursor} if cursor else {})})
        return doc.get("data", []), next_cursor(doc)

    async def every(self, path: str, params: dict[str, str]) -> AsyncIterator[Doc]:
        """Every resource of a collection, following `links.next`."""
        cursor: str | None = None
        while True:
            items, cursor = await self.page(path, params, cursor)
            for item in items:
                yield item
            if cursor is None:
                return

    def _raise(self, response: httpx.Response, what: str) -> None:
        if response.status_code < 400:
            return
        try:
            errors = response.json().get("errors", [])
        except (ValueError, AttributeError):
            errors = []
        detail = self.http.scrub(
            "; ".join(f"{e.get('code')}: {e.get('detail')}" for e in errors if isinstance(e, dict))
        )
        detail = detail[:300] or f"HTTP {response.status_code}"
        if response.status_code in (401, 403):
            raise VendorError(
                f"Klaviyo refused the API key for {what} ({detail}); check the key and its scopes", rule="auth"
            )
        if response.status_code == 404:
            raise NotFound(f"Klaviyo has no such object ({what}: {detail})")
        if response.status_code == 429:
            raise VendorUnavailable(f"Klaviyo rate limit reached ({detail}); retry later", rule="rate_limit")
        raise VendorError(f"Klaviyo refused {what}: {detail}")


def next_cursor(doc: Doc) -> str | None:
    link = (doc.get("links") or {}).get("next")
    if not link:
        return None
    values = parse_qs(urlsplit(link).query).get("page[cursor]")
    return values[0] if values else None


def resource(kind: str, attributes: Doc, **relationships: Any) -> Doc:
    """A JSON:API request document."""
    data: Doc = {"type": kind, "attributes": attributes}
    if relationships:
        data["relationships"] = relationships
    return {"data": data}
