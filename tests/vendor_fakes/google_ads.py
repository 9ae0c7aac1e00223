"""A fake Google Ads REST API (v26) for one customer, plus Google's OAuth token endpoint.

GAQL is parsed only as far as the adapter queries it (FROM campaign / campaign_budget / customer, `campaign.id =`,
`segments.date BETWEEN`, `campaign_budget.resource_name =`); mutates honour `validateOnly` (validated, nothing
changed, empty answer) and fail with the `google.rpc.Status` + `GoogleAdsFailure` envelope.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from sqlalchemy import select

from cadencia.tools.ads.tables import ad_performance, campaigns
from cadencia.tools.store.store import Store

CUSTOMER = "1234567890"
DEVELOPER_TOKEN = "dev-token-fake-0001"
CLIENT_SECRET = "google-client-secret-0001"
REFRESH_TOKEN = "1//google-refresh-token-0001"
ACCESS_TOKEN = "ya29.fake-access-token-0001"
VERSION = "v26"
BIDDING = {"conversions": "MAXIMIZE_CONVERSIONS", "traffic": "MANUAL_CPC", "awareness": "TARGET_IMPRESSION_SHARE"}


def google_id(sandbox_id: str) -> str:
    """CMP-GO001 → 20000000001."""
    return f"2{int(sandbox_id[-3:]):010d}"


def failure(status: int, grpc: str, code: dict[str, str], message: str, **details: Any) -> httpx.Response:
    error: dict[str, Any] = {"errorCode": code, "message": message}
    if details:
        error["details"] = details
    ads_failure = {
        "@type": f"type.googleapis.com/google.ads.googleads.{VERSION}.errors.GoogleAdsFailure",
        "errors": [error],
        "requestId": "req-0001",
    }
    body = {"error": {"code": status, "message": message, "status": grpc, "details": [ads_failure]}}
    return httpx.Response(status, json=body)


class FakeGoogleOAuth:
    """`POST https://oauth2.googleapis.com/token` with the refresh-token grant."""

    def __init__(self) -> None:
        self.grants = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("refresh_token") != REFRESH_TOKEN or form.get("client_secret") != CLIENT_SECRET:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Bad Request"})
        self.grants += 1
        return httpx.Response(200, json={"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"})


@dataclass
class FakeGoogleAds:
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    budgets: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)
    throttle_next: int = 0
    page_size: int = 100
    next_id: int = 700

    @classmethod
    def from_store(cls, store: Store) -> FakeGoogleAds:
        """The sandbox's Google campaigns (each on its own budget) and daily metrics, as the API would show them."""
        fake = cls()
        with store.reading() as conn:
            for row in conn.execute(select(campaigns).where(campaigns.c.platform == "google")).mappings():
                cid = google_id(row["id"])
                budget = f"3{cid[1:]}"
                fake.budgets[budget] = {
                    "id": budget,
                    "amount_micros": row["daily_budget_minor"] * 10_000,
                    "shared": False,
                }
                fake.campaigns[cid] = {
                    "id": cid,
                    "name": row["name"],
                    "status": "ENABLED" if row["status"] == "active" else "PAUSED",
                    "bidding": BIDDING[row["objective"]],
                    "budget": budget,
                }
            rows = conn.execute(
                select(ad_performance)
                .join(campaigns, campaigns.c.id == ad_performance.c.campaign_id)
                .where(campaigns.c.platform == "google")
                .order_by(ad_performance.c.day, ad_performance.c.campaign_id)
            ).mappings()
            for r in rows:
                fake.metrics.append(
                    {
                        "campaign": google_id(r["campaign_id"]),
                        "date": r["day"],
                        "costMicros": str(r["spend_minor"] * 10_000),
                        "impressions": str(r["impressions"]),
                        "clicks": str(r["clicks"]),
                        "conversions": float(r["conversions"]),
                        "conversionsValue": r["revenue_minor"] / 100,
                    }
                )
        return fake

    def share_budget(self, *campaign_ids: str) -> str:
        """Move these campaigns onto the first one's budget, made explicitly shared."""
        budget = self.campaigns[campaign_ids[0]]["budget"]
        self.budgets[budget]["shared"] = True
        for cid in campaign_ids[1:]:
            self.campaigns[cid]["budget"] = budget
        return budget

    def state(self) -> dict[str, Any]:
        return json.loads(json.dumps({"campaigns": self.campaigns, "budgets": self.budgets}))

    def _rn(self, kind: str, object_id: str) -> str:
        return f"customers/{CUSTOMER}/{kind}/{object_id}"

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            body = {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                              "status": "UNAUTHENTICATED"}}  # fmt: skip
            return httpx.Response(401, json=body)
        if request.headers.get("developer-token") != DEVELOPER_TOKEN:
            return failure(401, "UNAUTHENTICATED", {"authenticationError": "DEVELOPER_TOKEN_INVALID"}, "bad token")
        if self.throttle_next:
            self.throttle_next -= 1
            return failure(
                429,
                "RESOURCE_EXHAUSTED",
                {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
                "Too many requests. Retry in 2 seconds.",
                quotaErrorDetails={"rateScope": "ACCOUNT", "rateName": "Requests per account", "retryDelay": "2s"},
            )
        prefix = f"/{VERSION}/customers/{CUSTOMER}/"
        if not request.url.path.startswith(prefix):
            return failure(400, "INVALID_ARGUMENT", {"requestError": "INVALID_CUSTOMER_ID"}, "Customer ID is invalid.")
        action = request.url.path.removeprefix(prefix)
        body = json.loads(request.content)
        if action == "googleAds:search":
            return self._search(body)
        service = action.removesuffix(":mutate")
        handler = {"campaignBudgets": self._budget_op, "campaigns": self._campaign_op}.get(service)
        if service == "googleAds":
            return self._mutate_all(body)
        if handler is None:
            return httpx.Response(404, json={"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})
        return self._apply(body, [lambda dry, op=op: handler(op, dry) for op in body["operations"]])

    # -- search ------------------------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> httpx.Response:
        if "pageSize" in body:
            return failure(400, "INVALID_ARGUMENT", {"requestError": "PAGE_SIZE_NOT_SUPPORTED"}, "page size")
        query = body["query"]
        rows: list[dict[str, Any]]
        if " FROM customer" in query:
            rows = [{"customer": {"resourceName": f"customers/{CUSTOMER}", "currencyCode": "EUR"}}]
        elif " FROM campaign_budget" in query:
            name = re.search(r"resource_name = '([^']+)'", query)
            rows = [
                {
                    "campaignBudget": {
                        "resourceName": self._rn("campaignBudgets", b),
                        "amountMicros": str(v["amount_micros"]),
                    }
                }
                for b, v in self.budgets.items()
                if name is None or name.group(1) == self._rn("campaignBudgets", b)
            ]
        elif "segments.date" in query:
            since, until = re.search(r"BETWEEN '([\d-]+)' AND '([\d-]+)'", query).groups()  # type: ignore[union-attr]
            rows = [
                {
                    "campaign": {"resourceName": self._rn("campaigns", m["campaign"]), "id": m["campaign"]},
                    "segments": {"date": m["date"]},
                    "metrics": {k: v for k, v in m.items() if k not in ("campaign", "date")},
                }
                for m in self.metrics
                if since <= m["date"] <= until
            ]
        else:
            only = re.search(r"campaign\.id = (\d+)", query)
            rows = [
                self._campaign_row(c)
                for cid, c in sorted(self.campaigns.items())
                if c["status"] in ("ENABLED", "PAUSED") and (only is None or only.group(1) == cid)
            ]
        start = int(body.get("pageToken") or 0)
        page: dict[str, Any] = {"results": rows[start : start + self.page_size], "fieldMask": "..."}
        if start + self.page_size < len(rows):
            page["nextPageToken"] = str(start + self.page_size)
        return httpx.Response(200, json=page)

    def _budget_row(self, budget: str, v: dict[str, Any]) -> dict[str, Any]:
        return {
            "campaignBudget": {
                "resourceName": self._rn("campaignBudgets", budget),
                "amountMicros": str(v["amount_micros"]),
            }
        }

    def _campaign_row(self, c: dict[str, Any]) -> dict[str, Any]:
        budget = self.budgets[c["budget"]]
        users = sum(1 for other in self.campaigns.values() if other["budget"] == c["budget"])
        return {
            "campaign": {
                "resourceName": self._rn("campaigns", c["id"]),
                "id": c["id"],
                "name": c["name"],
                "status": c["status"],
                "advertisingChannelType": "SEARCH",
                "biddingStrategyType": c["bidding"],
            },
            "campaignBudget": {
                "resourceName": self._rn("campaignBudgets", c["budget"]),
                "id": c["budget"],
                "amountMicros": str(budget["amount_micros"]),
                "explicitlyShared": budget["shared"],
                "referenceCount": str(users),
            },
        }

    # -- mutates -----------------------------------------------------------------------------------------------

    def _apply(self, body: dict[str, Any], operations: list[Any]) -> httpx.Response:
        """Atomic like the API: validate every operation, then (unless validateOnly) apply them all."""
        for op in operations:
            problem = op(True)
            if isinstance(problem, httpx.Response):
                return problem
        if body.get("validateOnly"):
            return httpx.Response(200, json={})
        results = [op(False) for op in operations]
        self.writes.append(body)
        return httpx.Response(200, json={"results": results, "mutateOperationResponses": results})

    def _missing(self, what: str) -> httpx.Response:
        return failure(400, "INVALID_ARGUMENT", {"mutateError": "RESOURCE_NOT_FOUND"}, f"{what} was not found.")

    def _budget_op(self, op: dict[str, Any], dry: bool) -> Any:
        update = op["update"]
        budget = update["resourceName"].rsplit("/", 1)[-1]
        if budget not in self.budgets or op.get("updateMask") != "amount_micros":
            return self._missing(f"Budget {budget}")
        if int(update["amountMicros"]) % 10_000:
            return failure(
                400, "INVALID_ARGUMENT", {"campaignBudgetError": "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"}, ""
            )
        if not dry:
            self.budgets[budget]["amount_micros"] = int(update["amountMicros"])
        return {"resourceName": update["resourceName"]}

    def _campaign_op(self, op: dict[str, Any], dry: bool) -> Any:
        if "remove" in op:
            cid = op["remove"].rsplit("/", 1)[-1]
            if cid not in self.campaigns:
                return self._missing(f"Campaign {cid}")
            if not dry:
                budget = self.campaigns.pop(cid)["budget"]
                if not self.budgets[budget]["shared"]:
                    self.budgets.pop(budget)
            return {"resourceName": op["remove"]}
        update = op["update"]
        cid = update["resourceName"].rsplit("/", 1)[-1]
        if cid not in self.campaigns or op.get("updateMask") != "status":
            return self._missing(f"Campaign {cid}")
        if update["status"] not in ("ENABLED", "PAUSED"):
            return failure(400, "INVALID_ARGUMENT", {"campaignError": "INVALID_STATUS"}, "bad status")
        if not dry:
            self.campaigns[cid]["status"] = update["status"]
        return {"resourceName": update["resourceName"]}

    def _mutate_all(self, body: dict[str, Any]) -> httpx.Response:
        temp: dict[str, str] = {}

        def create_budget(spec: dict[str, Any], dry: bool) -> Any:
            if dry:
                return None
            self.next_id += 1
            budget = f"39{self.next_id:08d}"
            self.budgets[budget] = {"id": budget, "amount_micros": int(spec["amountMicros"]), "shared": False}
            temp[spec["resourceName"]] = budget
            return {"campaignBudgetResult": {"resourceName": self._rn("campaignBudgets", budget)}}

        def create_campaign(spec: dict[str, Any], dry: bool) -> Any:
            required = {"name", "status", "advertisingChannelType", "campaignBudget", "containsEuPoliticalAdvertising"}
            if not required <= set(spec):
                return failure(400, "INVALID_ARGUMENT", {"fieldError": "REQUIRED"}, f"missing {required - set(spec)}")
            if dry:
                return None
            self.next_id += 1
            cid = f"29{self.next_id:09d}"
            bidding = "MAXIMIZE_CONVERSIONS" if "maximizeConversions" in spec else "MANUAL_CPC"
            self.campaigns[cid] = {
                "id": cid,
                "name": spec["name"],
                "status": spec["status"],
                "bidding": bidding,
                "budget": temp[spec["campaignBudget"]],
            }
            return {"campaignResult": {"resourceName": self._rn("campaigns", cid)}}

        ops = []
        for op in body["mutateOperations"]:
            if "campaignBudgetOperation" in op:
                ops.append(lambda dry, s=op["campaignBudgetOperation"]["create"]: create_budget(s, dry))
            else:
                ops.append(lambda dry, s=op["campaignOperation"]["create"]: create_campaign(s, dry))
        return self._apply(body, ops)
