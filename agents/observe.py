"""Collect an Observation through read-only MCP tools. Missing tools (a third-party server) are skipped.

Every read is validated into its view at the toolbox (a changed result shape fails there, naming tool and field),
and every result is shown to the witness, which collects the third-party text the planner is about to see.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, JsonValue

from cadencia.agents.goal import Goal, Metric
from cadencia.agents.observation import (
    CampaignSignal,
    ClaimSignal,
    Observation,
    ReviewSignal,
    SegmentSignal,
    StockSignal,
)
from cadencia.agents.results import View
from cadencia.agents.toolbox import ResultWitness, Toolbox, V
from cadencia.agents.views import (
    CampaignView,
    ClaimView,
    ForecastView,
    PerformanceView,
    ProductRow,
    PurchaseOrderRow,
    ReachEstimateView,
    ReviewPage,
    ReviewRow,
    ReviewSummaryView,
    SalesReportView,
    SegmentRow,
    SkuRow,
)
from cadencia.tools.names import Ads, Crm, Inventory, Reviews

MAX_PRODUCTS = 200
MAX_REVIEWS = 20
"""Unanswered reviews read per rating band and cycle, newest first."""


class _Totals(View):
    revenue_minor: int
    gross_profit_minor: int
    units: int


class _Reader:
    """Typed reads for one observation that count themselves; a failed read yields None (the signal is absent)."""

    def __init__(self, toolbox: Toolbox, witness: ResultWitness | None) -> None:
        self.toolbox = toolbox
        self.witness = witness
        self.started_at = toolbox.calls

    @property
    def calls(self) -> int:
        return self.toolbox.calls - self.started_at

    async def get(self, tool: str, args: dict[str, JsonValue] | None, view: type[V]) -> V | None:
        return await self.toolbox.read_as(tool, args, view, witness=self.witness)

    async def pages(self, tool: str, args: dict[str, JsonValue] | None, item: type[V]) -> list[V]:
        items, _complete = await self.toolbox.read_pages_as(
            tool, args, item, max_items=MAX_PRODUCTS, witness=self.witness
        )
        return items


async def _stock(reader: _Reader, goal: Goal) -> list[StockSignal]:
    products = await reader.pages(Inventory.LIST_PRODUCTS, None, ProductRow)
    scope = set(goal.kpi.skus)
    promoted = {p.sku for p in await reader.pages(Inventory.LIST_PROMOTIONS, {"active_only": True}, SkuRow)}
    drafts: dict[str, list[str]] = {}
    for po in await reader.pages(Inventory.LIST_PURCHASE_ORDERS, {"status": "draft"}, PurchaseOrderRow):
        drafts.setdefault(po.sku, []).append(po.id)
    forecasts = {f.sku: f for f in await reader.pages(Inventory.LIST_FORECASTS, None, ForecastView)}
    signals = []
    for product in products[:MAX_PRODUCTS]:
        forecast = forecasts.get(product.sku)
        if (scope and product.sku not in scope) or forecast is None:
            continue
        signals.append(
            StockSignal(
                **product.model_dump(),
                **forecast.model_dump(exclude={"sku", "incoming"}),
                incoming_units=sum(o.quantity for o in forecast.incoming),
                draft_orders=drafts.get(product.sku, []),
                promoted=product.sku in promoted,
            )
        )
    return signals


async def _campaigns(reader: _Reader) -> list[CampaignSignal]:
    campaigns = await reader.pages(Ads.LIST_CAMPAIGNS, None, CampaignView)
    report = await reader.get(Ads.GET_PERFORMANCE, {"days": 28, "limit": 100}, PerformanceView)
    performance = {p.campaign_id: p for p in (report.campaigns if report else [])}
    signals = []
    for campaign in campaigns:
        perf = performance.get(campaign.id)
        metrics = perf.metrics if perf else None
        marginal = perf.marginal if perf else None
        lift = perf.lift if perf else None
        signals.append(
            CampaignSignal(
                **campaign.model_dump(),
                spend_minor=metrics.spend_minor if metrics else 0,
                roas=metrics.roas if metrics else None,
                marginal_roas=marginal.marginal_roas if marginal else None,
                marginal_quality=marginal.quality if marginal else "insufficient",
                relative_lift=lift.relative_lift if lift else None,
            )
        )
    return signals


def _review_signal(row: ReviewRow) -> ReviewSignal:
    return ReviewSignal(
        id=row.id,
        sku=row.sku,
        rating=row.rating,
        language=row.language,
        title=row.customer_text.title,
        body=row.customer_text.body,
        themes=row.themes,
    )


async def _unanswered_reviews(reader: _Reader, ratings: dict[str, JsonValue]) -> tuple[list[ReviewSignal], int]:
    """The newest unanswered, unflagged reviews in a rating band, and how many there are in all."""
    filters: dict[str, JsonValue] = {**ratings, "unanswered": True, "flagged": False, "limit": MAX_REVIEWS}
    page = await reader.get(Reviews.LIST_REVIEWS, filters, ReviewPage)
    if page is None:
        return [], 0
    return [_review_signal(r) for r in page.items], max(page.total or 0, len(page.items))


async def _reviews(reader: _Reader) -> tuple[list[ReviewSignal], int, list[ReviewSignal], float | None]:
    """Unanswered negative reviews (to answer) and their count, the newest other unanswered ones (in view all the
    same: customer text of any rating can carry instructions), and the mean rating."""
    negative, backlog = await _unanswered_reviews(reader, {"max_rating": 2})
    others, _ = await _unanswered_reviews(reader, {"min_rating": 3})
    summary = await reader.get(Reviews.REVIEW_SUMMARY, None, ReviewSummaryView)
    return negative, backlog, others, summary.mean_rating if summary else None


async def _segments(reader: _Reader) -> list[SegmentSignal]:
    signals = []
    for segment in await reader.pages(Crm.LIST_SEGMENTS, None, SegmentRow):
        estimate = await reader.get(Crm.ESTIMATE_SEGMENT, {"segment_id": segment.id}, ReachEstimateView)
        if estimate is None:
            continue
        reach = {c.channel: c.eligible for c in estimate.channels}
        signals.append(SegmentSignal(id=segment.id, name=segment.name, size=estimate.size, reach=reach))
    return signals


def _kpi(goal: Goal, totals: BaseModel | None, stock: list[StockSignal]) -> float | None:
    metric = goal.kpi.metric
    if metric is Metric.STOCK_COVER:
        covers = [s.days_of_cover for s in stock if s.days_of_cover is not None]
        return min(covers) if covers else None
    if totals is None:
        return None
    field = {Metric.REVENUE: "revenue_minor", Metric.GROSS_PROFIT: "gross_profit_minor", Metric.UNITS: "units"}[metric]
    return float(getattr(totals, field))


async def _since_run(reader: _Reader, since: date | None) -> tuple[date | None, _Totals | None]:
    """Today (the day after the last complete one) and the sales totals since the run's first day."""
    week = await reader.get(Inventory.SALES_REPORT, None, SalesReportView)
    today = week.until + timedelta(days=1) if week else None
    start = since or today
    if start is not None and today is not None and start < today:
        return today, await reader.get(Inventory.SALES_REPORT, {"since": start.isoformat()}, _Totals)
    if today is not None:
        return today, _Totals(revenue_minor=0, gross_profit_minor=0, units=0)
    return None, None


async def current_kpi(toolbox: Toolbox, goal: Goal, *, since: date | None) -> float | None:
    """The KPI now, over every complete day since `since` (the run's first day), including the last one simulated.

    The report reads it afresh: the last cycle's observation was taken before its day was simulated.
    """
    reader = _Reader(toolbox, None)
    stock = await _stock(reader, goal) if goal.kpi.metric is Metric.STOCK_COVER else []
    _today, totals = await _since_run(reader, since)
    return _kpi(goal, totals, stock)


async def collect_observation(
    toolbox: Toolbox, goal: Goal, *, since: date | None, witness: ResultWitness | None = None
) -> Observation:
    """Everything a planner needs for one cycle, gathered through MCP reads."""
    reader = _Reader(toolbox, witness)
    week = await reader.get(Inventory.SALES_REPORT, None, SalesReportView)
    today = week.until + timedelta(days=1) if week else None
    stock = await _stock(reader, goal)
    start = since or today
    since_run: _Totals | None = None
    if start is not None and today is not None and start < today:
        since_run = await reader.get(Inventory.SALES_REPORT, {"since": start.isoformat()}, _Totals)
    elif today is not None:
        since_run = _Totals(revenue_minor=0, gross_profit_minor=0, units=0)
    reviews, backlog, other_reviews, mean = await _reviews(reader)
    claims = [
        ClaimSignal(id=c.id, text=c.text) for c in await reader.pages(Ads.LIST_CLAIMS, None, ClaimView) if c.approved
    ]
    observation = Observation(
        day=today,
        kpi_value=_kpi(goal, since_run, stock),
        revenue_7d_minor=week.revenue_minor if week else 0,
        units_7d=week.units if week else 0,
        gross_profit_7d_minor=week.gross_profit_minor if week else 0,
        lost_units_7d=week.lost_units if week else 0,
        stock=stock,
        campaigns=await _campaigns(reader),
        negative_reviews=reviews,
        negative_backlog=backlog,
        other_reviews=other_reviews,
        review_mean=mean,
        segments=await _segments(reader),
        claims=claims,
    )
    observation.tool_calls = reader.calls
    return observation
