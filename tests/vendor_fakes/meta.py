"""A fake Meta Graph API (v27.0) for one ad account: campaigns, budget/status updates with `validate_only`,
drafts, deletes, daily insights, the `error` body with codes and the usage headers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from sqlalchemy import select

from cadencia.tools.ads.tables import ad_performance, campaigns
from cadencia.tools.store.store import Store

TOKEN = "EAAB-fake-meta-token-0001"
ACCOUNT = "42"
VERSION = "v27.0"


def meta_id(sandbox_id: str) -> str:
    """CMP-ME001 → 120200000001: the numeric id the fake gives a seeded sandbox campaign."""
    return f"1202{int(sandbox_id[-3:]):08d}"


def error(code: int, message: str, *, status: int = 400, subcode: int | None = None) -> httpx.Response:
    body: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return httpx.Response(status, json={"error": body})


@dataclass
class FakeMeta:
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    insights: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, str]] = field(default_factory=list)
    throttle_next: int = 0
    page_size: int = 2
    next_id: int = 900

    @classmethod
    def from_store(cls, store: Store) -> FakeMeta:
        """The sandbox's Meta campaigns and their daily performance, as the Graph API would show them."""
        fake = cls()
        with store.reading() as conn:
            for row in conn.execute(select(campaigns).where(campaigns.c.platform == "meta")).mappings():
                fake.campaigns[meta_id(row["id"])] = {
                    "id": meta_id(row["id"]),
                    "name": row["name"],
                    "status": row["status"].upper(),
                    "objective": {"conversions": "OUTCOME_SALES", "traffic": "OUTCOME_TRAFFIC"}.get(
                        row["objective"], "OUTCOME_AWARENESS"
                    ),
                    "daily_budget": str(row["daily_budget_minor"]),
                    "created_time": f"{row['created_on']}T09:00:00+0000",
                }
            rows = conn.execute(
                select(ad_performance, campaigns.c.platform)
                .join(campaigns, campaigns.c.id == ad_performance.c.campaign_id)
                .where(campaigns.c.platform == "meta")
                .order_by(ad_performance.c.day, ad_performance.c.campaign_id)
            ).mappings()
            for r in rows:
                value = f"{r['revenue_minor'] / 100:.2f}"
                fake.insights.append(
                    {
                        "campaign_id": meta_id(r["campaign_id"]),
                        "date_start": r["day"],
                        "date_stop": r["day"],
                        "spend": f"{r['spend_minor'] / 100:.2f}",
                        "impressions": str(r["impressions"]),
                        "clicks": str(r["clicks"]),
                        "actions": [{"action_type": "purchase", "value": str(r["conversions"])}],
                        "action_values": [{"action_type": "purchase", "value": value}],
                    }
                )
        return fake

    def state(self) -> dict[str, dict[str, Any]]:
        return json.loads(json.dumps(self.campaigns))

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return error(190, "Invalid OAuth access token - Cannot parse access token", status=401)
        usage = {f"act_{ACCOUNT}": [{"type": "ads_management", "call_count": 3, "total_cputime": 2, "total_time": 2}]}
        headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
        if self.throttle_next:
            self.throttle_next -= 1
            usage[f"act_{ACCOUNT}"][0].update(call_count=100, estimated_time_to_regain_access=0)
            response = error(80004, "There have been too many calls to this ad-account.")
            response.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
            return response
        path = request.url.path.removeprefix(f"/{VERSION}/").strip("/")
        if request.method == "GET":
            response = self._get(path, dict(request.url.params))
        elif request.method == "POST":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            response = self._post(path, form)
        else:
            response = self._delete(path)
        response.headers.update(headers)
        return response

    def _page(self, items: list[dict[str, Any]], params: dict[str, str], size: int) -> httpx.Response:
        start = int(params.get("after") or 0)
        page = items[start : start + size]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + size)}}
        if start + size < len(items):
            paging["next"] = f"https://graph.facebook.com/{VERSION}/next?after={start + size}"
        return httpx.Response(200, json={"data": page, "paging": paging})

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        if path == f"act_{ACCOUNT}/campaigns":
            wanted = json.loads(params.get("effective_status", '["ACTIVE", "PAUSED"]'))
            found = [c for _, c in sorted(self.campaigns.items()) if c["status"] in wanted]
            fields = params.get("fields", "").split(",")
            found = [{k: v for k, v in c.items() if k in fields} for c in found]
            return self._page(found, params, min(int(params.get("limit", 25)), self.page_size))
        if path == f"act_{ACCOUNT}/insights":
            window = json.loads(params["time_range"])
            rows = [r for r in self.insights if window["since"] <= r["date_start"] <= window["until"]]
            return self._page(rows, params, 200)
        campaign = self.campaigns.get(path)
        if campaign is None:
            return error(100, f"Unsupported get request. Object with ID '{path}' does not exist", subcode=33)
        return httpx.Response(200, json=campaign)

    def _post(self, path: str, form: dict[str, str]) -> httpx.Response:
        dry = form.pop("execution_options", None) == '["validate_only"]'
        if path == f"act_{ACCOUNT}/campaigns":
            if form.get("status") != "PAUSED" or "special_ad_categories" not in form:
                return error(100, "Invalid parameter: new campaigns need status and special_ad_categories")
            if dry:
                return httpx.Response(200, json={"success": True})
            self.next_id += 1
            new_id = f"1209{self.next_id:08d}"
            self.campaigns[new_id] = {
                "id": new_id,
                "name": form["name"],
                "status": "PAUSED",
                "objective": form["objective"],
                "daily_budget": form["daily_budget"],
                "created_time": "2026-03-02T09:00:00+0000",
            }
            self.writes.append({"create": new_id, **form})
            return httpx.Response(200, json={"id": new_id})
        campaign = self.campaigns.get(path)
        if campaign is None:
            return error(100, f"Object with ID '{path}' does not exist", subcode=33)
        if form.get("status") not in (None, "ACTIVE", "PAUSED"):
            return error(100, "Invalid parameter: status")
        if "daily_budget" in form and int(form["daily_budget"]) < 100:
            return error(100, "Invalid parameter: daily_budget is below the account minimum", subcode=1885272)
        if not dry:
            campaign.update(form)
            self.writes.append({"id": path, **form})
        return httpx.Response(200, json={"success": True})

    def _delete(self, path: str) -> httpx.Response:
        if self.campaigns.pop(path, None) is None:
            return error(100, f"Object with ID '{path}' does not exist", subcode=33)
        self.writes.append({"delete": path})
        return httpx.Response(200, json={"success": True})
