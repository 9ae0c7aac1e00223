"""What the agent reads from each read tool: one small view per result, extra fields ignored.

Observations and guardrail facts read through these views (`Toolbox.read_as`), so a server whose output no longer
has a field the agent relies on fails at the toolbox with the tool and the field named.
"""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from cadencia.agents.results import View
from cadencia.tools.policy.facts import CampaignFacts, ClaimFacts, MessageFacts, ProductFacts, PurchaseOrderFacts

_IGNORE_EXTRA = ConfigDict(extra="ignore", frozen=True)


class SalesReportView(View):
    """inventory_sales_report."""

    until: date
    revenue_minor: int
    gross_profit_minor: int
    units: int
    lost_units: int


class ProductRow(View):
    """inventory_list_products item."""

    sku: str
    name: str
    category: str
    price_minor: int
    list_price_minor: int
    cost_minor: int


class ProductView(ProductFacts):
    """inventory_get_product."""

    model_config = _IGNORE_EXTRA


class SkuRow(View):
    """inventory_list_promotions item (the SKU it promotes)."""

    sku: str


class PurchaseOrderRow(View):
    """inventory_list_purchase_orders item."""

    id: str
    sku: str


class PurchaseOrderView(PurchaseOrderFacts):
    """inventory_list_purchase_orders item, as guardrail facts (its amount)."""

    model_config = _IGNORE_EXTRA


class Incoming(View):
    quantity: int


class ForecastView(View):
    """inventory_forecast_demand, and each inventory_list_forecasts item."""

    sku: str
    on_hand: int
    daily_demand: float
    days_of_cover: float | None
    reorder_point: float
    should_reorder: bool
    suggested_order_quantity: int
    lead_time_days: int
    incoming: list[Incoming] = Field(default_factory=list)


class CampaignView(CampaignFacts):
    """ads_get_campaign, and each ads_list_campaigns item; `name` is untrusted text."""

    model_config = _IGNORE_EXTRA

    name: str = ""


class MetricsView(View):
    spend_minor: int = 0
    roas: float | None = None


class MarginalView(View):
    marginal_roas: float | None = None
    quality: str = "insufficient"


class LiftView(View):
    relative_lift: float | None = None


class CampaignPerformanceView(View):
    campaign_id: str
    metrics: MetricsView | None = None
    marginal: MarginalView | None = None
    lift: LiftView | None = None


class PerformanceView(View):
    """ads_get_performance."""

    campaigns: list[CampaignPerformanceView]


class ClaimView(ClaimFacts):
    """ads_list_claims item."""

    model_config = _IGNORE_EXTRA


class CustomerTextView(View):
    title: str
    body: str


class ReviewRow(View):
    """reviews_list_reviews item."""

    id: str
    sku: str
    rating: int
    language: str
    customer_text: CustomerTextView
    themes: list[str] = Field(default_factory=list)


class ReviewPage(View):
    """One page of reviews_list_reviews, with the number of reviews matching."""

    items: list[ReviewRow]
    total: int | None = None


class ReviewSummaryView(View):
    """reviews_review_summary."""

    mean_rating: float | None


class SegmentRow(View):
    """crm_list_segments item."""

    id: str
    name: str


class ChannelReachView(View):
    channel: str
    eligible: int


class ReachEstimateView(View):
    """crm_estimate_segment."""

    size: int
    channels: list[ChannelReachView]


class MessageView(MessageFacts):
    """crm_list_messages item."""

    model_config = _IGNORE_EXTRA
