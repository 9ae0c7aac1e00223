"""Graph API transport for the Meta adapter: error mapping and the insights row model (see `meta` for doc pages)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from cadencia.tools.errors import CadenciaError, NotFound, VendorError, VendorUnavailable
from cadencia.tools.vendors.http import VendorHttp
from cadencia.tools.vendors.mirror import DailyInsight
from cadencia.tools.vendors.money import to_minor
from cadencia.tools.vendors.throttle import META_RATE_LIMIT_CODES

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v27.0"


class MetaGraph:
    """Graph API calls through the shared VendorHttp, with Meta's error body mapped to our errors."""

    def __init__(self, http: VendorHttp, *, base_url: str = GRAPH_URL, api_version: str = API_VERSION) -> None:
        self.http = http
        self.base = f"{base_url.rstrip('/')}/{api_version}"

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return self._body(await self.http.send("GET", f"{self.base}/{path}", params=params, retry_safe=True))

    async def post(self, path: str, data: dict[str, str], *, retry_safe: bool) -> dict[str, Any]:
        return self._body(await self.http.send("POST", f"{self.base}/{path}", data=data, retry_safe=retry_safe))

    async def delete(self, path: str) -> dict[str, Any]:
        return self._body(await self.http.send("DELETE", f"{self.base}/{path}", retry_safe=True))

    def _body(self, response: Any) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise VendorError(f"Meta API returned HTTP {response.status_code} without a JSON body")
        error = body.get("error")
        if isinstance(error, dict):
            raise self._error(error)
        if response.status_code >= 400:
            raise VendorError(f"Meta API returned HTTP {response.status_code}")
        return body

    def _error(self, error: dict[str, Any]) -> CadenciaError:
        code, subcode = error.get("code"), error.get("error_subcode")
        message = self.http.scrub(str(error.get("message", "")))[:300]
        if code in META_RATE_LIMIT_CODES:
            return VendorUnavailable(f"Meta API rate limit reached (code {code}); retry later", rule="rate_limit")
        if code == 190:
            return VendorError("Meta access token is invalid or expired; ask the operator to renew it", rule="auth")
        if code == 100 and subcode == 33:
            return NotFound(f"Meta has no object with this id ({message}); call list_campaigns", field="campaign_id")
        if code == 100 and subcode == 1885621:
            return VendorError(
                "Meta refuses a campaign budget when its ad sets have their own budgets; change the ad-set budgets",
                rule="budget_level",
            )
        return VendorError(f"Meta API error {code}/{subcode}: {message}")


async def daily_insights(graph: MetaGraph, account: str, currency: str, since: date, until: date) -> list[DailyInsight]:
    """Daily campaign-level insights of an ad account over since..until, every page."""
    params = {
        "level": "campaign",
        "time_increment": "1",
        "limit": "500",
        "fields": "campaign_id,spend,impressions,clicks,actions,action_values",
        "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
    }
    rows: list[DailyInsight] = []
    after: str | None = None
    while True:
        page = await graph.get(f"act_{account}/insights", {**params, **({"after": after} if after else {})})
        rows += [insight_row(r, currency) for r in page.get("data", [])]
        paging = page.get("paging", {})
        after = paging.get("cursors", {}).get("after") if paging.get("next") else None
        if not after:
            return rows


def insight_row(row: dict[str, Any], currency: str) -> DailyInsight:
    def action(name: str, key: str) -> str:
        found = [
            a["value"]
            for a in row.get(key, [])
            if a.get("action_type") in (name, f"offsite_conversion.fb_pixel_{name}")
        ]
        return found[0] if found else "0"

    return DailyInsight(
        campaign_id=row["campaign_id"],
        day=date.fromisoformat(row["date_start"]),
        spend_minor=to_minor(row.get("spend", "0"), currency),
        impressions=int(row.get("impressions", 0)),
        clicks=int(row.get("clicks", 0)),
        conversions=int(float(action("purchase", "actions"))),
        revenue_minor=to_minor(action("purchase", "action_values"), currency),
        currency=currency,
    )
