"""Google Ads REST transport: GAQL search (all pages), mutates with `validateOnly`, rows as models.

API v26 (the latest active version per developers.google.com/google-ads/api/reference/rpc/v23/SearchGoogleAdsRequest
"The latest active version is v26"). Doc pages used:
- /google-ads/api/rest/common/mutate and /docs/mutating/service-mutates (POST `customers/{cid}/campaigns:mutate`,
  `operations[].update` + `updateMask`, `validateOnly`, `partialFailure`)
- /reference/rpc/v26/MutateCampaignBudgetsRequest (`validate_only`: "validated but not executed")
- /reference/rpc/v24/GoogleAdsService/Mutate (`googleAds:mutate`, temp resource names `campaignBudgets/-1`)
- /reference/rpc/v25/SearchGoogleAdsRequest (`page_size` must not be set; `page_token`/`next_page_token`)
- /docs/campaigns/budgets/share-budgets and /remove-budgets (`explicitly_shared`, `reference_count`; removing a
  campaign removes its non-shared budget)
- /rest/auth (headers `developer-token`, `login-customer-id`, OAuth bearer)
Unverified here: `containsEuPoliticalAdvertising` as a required create field and its enum spelling; the exact
camelCase of `conversionsValue` in search rows (standard proto3 JSON mapping assumed).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.vendors.google import raise_for_google
from cadencia.tools.vendors.http import VendorHttp
from cadencia.tools.vendors.mirror import DailyInsight
from cadencia.tools.vendors.money import micros_to_minor, to_minor

ADS_URL = "https://googleads.googleapis.com"
API_VERSION = "v26"
CAMPAIGN_FIELDS = (
    "campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, campaign.bidding_strategy_type, "
    "campaign_budget.id, campaign_budget.resource_name, "
    "campaign_budget.amount_micros, campaign_budget.explicitly_shared, campaign_budget.reference_count"
)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class GCampaign(_Row):
    id: str
    name: str = ""
    status: str
    advertising_channel_type: str = Field("", alias="advertisingChannelType")
    bidding_strategy_type: str = Field("", alias="biddingStrategyType")


class GBudget(_Row):
    id: str
    resource_name: str = Field(alias="resourceName")
    amount_micros: str = Field("0", alias="amountMicros")
    explicitly_shared: bool = Field(False, alias="explicitlyShared")
    reference_count: str = Field("1", alias="referenceCount")


class CampaignRow(_Row):
    """One row of the campaign query: a campaign and the budget it spends from (maybe shared with others)."""

    campaign: GCampaign
    campaign_budget: GBudget = Field(alias="campaignBudget")

    def budget_minor(self, currency: str) -> int:
        return micros_to_minor(self.campaign_budget.amount_micros, currency)

    @property
    def shared(self) -> bool:
        return self.campaign_budget.explicitly_shared or int(self.campaign_budget.reference_count) > 1


class GoogleAdsApi:
    """Calls one customer's Google Ads REST API through VendorHttp; failures become our errors."""

    def __init__(
        self,
        http: VendorHttp,
        *,
        customer_id: str,
        developer_token: str,
        login_customer_id: str | None = None,
        base_url: str = ADS_URL,
        api_version: str = API_VERSION,
    ) -> None:
        self.http = http
        self.customer_id = customer_id
        self.root = f"{base_url.rstrip('/')}/{api_version}/customers/{customer_id}"
        self._headers = {"developer-token": developer_token}
        if login_customer_id:
            self._headers["login-customer-id"] = login_customer_id

    def resource(self, kind: str, object_id: str | int) -> str:
        return f"customers/{self.customer_id}/{kind}/{object_id}"

    async def search(self, query: str) -> list[dict[str, Any]]:
        """Every row of a GAQL query (following `nextPageToken`)."""
        rows: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            body: dict[str, Any] = {"query": query}
            if token:
                body["pageToken"] = token
            response = await self.http.send(
                "POST", f"{self.root}/googleAds:search", json=body, headers=self._headers, retry_safe=True
            )
            raise_for_google(response, vendor="Google Ads", scrub=self.http.scrub, what="the search")
            page = response.json()
            rows += page.get("results", [])
            token = page.get("nextPageToken")
            if not token:
                return rows

    async def mutate(
        self, service: str, operations: list[dict[str, Any]], *, validate_only: bool, retry_safe: bool
    ) -> dict[str, Any]:
        """POST `{service}:mutate` (e.g. `campaigns`, `campaignBudgets`, `googleAds` with `mutateOperations`)."""
        key = "mutateOperations" if service == "googleAds" else "operations"
        body = {key: operations, "partialFailure": False, "validateOnly": validate_only}
        response = await self.http.send(
            "POST", f"{self.root}/{service}:mutate", json=body, headers=self._headers, retry_safe=retry_safe
        )
        raise_for_google(response, vendor="Google Ads", scrub=self.http.scrub, what=f"the {service} change")
        return response.json() if response.content else {}

    async def campaigns(self, campaign_id: str | None = None) -> list[CampaignRow]:
        where = "campaign.status IN ('ENABLED', 'PAUSED')"
        if campaign_id is not None:
            where += f" AND campaign.id = {int(campaign_id)}"
        rows = await self.search(f"SELECT {CAMPAIGN_FIELDS} FROM campaign WHERE {where} ORDER BY campaign.id")
        return [CampaignRow.model_validate(r) for r in rows]

    async def currency(self) -> str:
        rows = await self.search("SELECT customer.currency_code FROM customer")
        return str(rows[0]["customer"]["currencyCode"]) if rows else ""

    async def daily_metrics(self, since: date, until: date, currency: str) -> list[DailyInsight]:
        query = (
            "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, "
            "metrics.conversions, metrics.conversions_value FROM campaign "
            f"WHERE segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'"
        )
        return [insight_row(r, currency) for r in await self.search(query)]


def insight_row(row: dict[str, Any], currency: str) -> DailyInsight:
    metrics = row.get("metrics", {})
    return DailyInsight(
        campaign_id=str(row["campaign"]["id"]),
        day=date.fromisoformat(row["segments"]["date"]),
        spend_minor=micros_to_minor(metrics.get("costMicros", "0"), currency),
        impressions=int(metrics.get("impressions", 0)),
        clicks=int(metrics.get("clicks", 0)),
        conversions=round(float(metrics.get("conversions", 0))),
        revenue_minor=to_minor(Decimal(str(metrics.get("conversionsValue", 0))), currency),
        currency=currency,
    )
