"""Collect an Observation through read-only MCP tools. Missing tools (a third-party server) are skipped."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import JsonValue

from cadencia.agents.goal import Goal, Metric
from cadencia.agents.observation import (
    CampaignSignal,
    ClaimSignal,
    Observation,
    ReviewSignal,
    SegmentSignal,
    StockSignal,
)
from cadencia.agents.toolbox import Toolbox

MAX_PRODUCTS = 200


class _Reader:
    """Read-only calls that count themselves; a failed read yields None (the signal is simply absent)."""

    def __init__(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox
        self.started_at = toolbox.calls

    @property
    def calls(self) -> int:
        return self.toolbox.calls - self.started_at

    async def get(self, tool: str, args: dict[str, JsonValue] | None = None) -> dict[str, Any] | None:
        return await self.toolbox.read(tool, args)

    async def pages(self, tool: str, args: dict[str, JsonValue] | None = None) -> list[dict[str, Any]]:
        items, _complete = await self.toolbox.read_pages(tool, args, max_items=MAX_PRODUCTS)
        return items


async def _stock(reader: _Reader, goal: Goal) -> list[StockSignal]:
    products = await reader.pages("inventory_list_products")
    scope = set(goal.kpi.skus)
    promoted = {p["sku"] for p in await reader.pages("inventory_list_promotions", {"active_only": True})}
    drafts: dict[str, list[str]] = {}
    for po in await reader.pages("inventory_list_purchase_orders", {"status": "draft"}):
        drafts.setdefault(po["sku"], []).append(po["id"])
    forecasts = {f["sku"]: f for f in await reader.pages("inventory_list_forecasts")}
    signals = []
    for product in products[:MAX_PRODUCTS]:
        forecast = forecasts.get(product["sku"])
        if (scope and product["sku"] not in scope) or forecast is None:
            continue
        signals.append(
            StockSignal(
                sku=product["sku"],
                name=product["name"],
                category=product["category"],
                price_minor=product["price_minor"],
                list_price_minor=product["list_price_minor"],
                cost_minor=product["cost_minor"],
                on_hand=forecast["on_hand"],
                daily_demand=forecast["daily_demand"],
                days_of_cover=forecast["days_of_cover"],
                reorder_point=forecast["reorder_point"],
                should_reorder=forecast["should_reorder"],
                suggested_order_quantity=forecast["suggested_order_quantity"],
                lead_time_days=forecast["lead_time_days"],
                incoming_units=sum(o["quantity"] for o in forecast["incoming"]),
                draft_orders=drafts.get(product["sku"], []),
                promoted=product["sku"] in promoted,
            )
        )
    return signals


async def _campaigns(reader: _Reader) -> list[CampaignSignal]:
    campaigns = {c["id"]: c for c in await reader.pages("ads_list_campaigns")}
    report = await reader.get("ads_get_performance", {"days": 28, "limit": 100})
    performance = {p["campaign_id"]: p for p in (report or {}).get("campaigns", [])}
    signals = []
    for cid, campaign in campaigns.items():
        perf = performance.get(cid, {})
        metrics = perf.get("metrics") or {}
        marginal = perf.get("marginal") or {}
        lift = perf.get("lift") or {}
        signals.append(
            CampaignSignal(
                id=cid,
                platform=campaign["platform"],
                status=campaign["status"],
                currency=campaign["currency"],
                daily_budget_minor=campaign["daily_budget_minor"],
                sku=campaign.get("sku"),
                spend_minor=metrics.get("spend_minor", 0),
                roas=metrics.get("roas"),
                marginal_roas=marginal.get("marginal_roas"),
                marginal_quality=marginal.get("quality", "insufficient"),
                relative_lift=lift.get("relative_lift"),
            )
        )
    return signals


async def _reviews(reader: _Reader) -> tuple[list[ReviewSignal], float | None]:
    page = await reader.get(
        "reviews_list_reviews", {"max_rating": 2, "unanswered": True, "flagged": False, "limit": 20}
    )
    summary = await reader.get("reviews_review_summary")
    reviews = [
        ReviewSignal(
            id=r["id"],
            sku=r["sku"],
            rating=r["rating"],
            language=r["language"],
            title=r["customer_text"]["title"],
            body=r["customer_text"]["body"],
            themes=[t if isinstance(t, str) else str(t) for t in r.get("themes", [])],
        )
        for r in (page or {}).get("items", [])
    ]
    return reviews, (summary or {}).get("mean_rating")


async def _segments(reader: _Reader) -> list[SegmentSignal]:
    signals = []
    for segment in await reader.pages("crm_list_segments"):
        estimate = await reader.get("crm_estimate_segment", {"segment_id": segment["id"]})
        if estimate is None:
            continue
        reach = {c["channel"]: c["eligible"] for c in estimate.get("channels", [])}
        signals.append(SegmentSignal(id=segment["id"], name=segment["name"], size=estimate["size"], reach=reach))
    return signals


def _kpi(goal: Goal, metric_source: dict[str, Any] | None, stock: list[StockSignal]) -> float | None:
    metric = goal.kpi.metric
    if metric is Metric.STOCK_COVER:
        covers = [s.days_of_cover for s in stock if s.days_of_cover is not None]
        return min(covers) if covers else None
    if metric_source is None:
        return None
    field = {Metric.REVENUE: "revenue_minor", Metric.GROSS_PROFIT: "gross_profit_minor", Metric.UNITS: "units"}[metric]
    return float(metric_source[field])


async def collect_observation(toolbox: Toolbox, goal: Goal, *, since: date | None) -> Observation:
    """Everything a planner needs for one cycle, gathered through MCP reads."""
    reader = _Reader(toolbox)
    week = await reader.get("inventory_sales_report")
    today = date.fromisoformat(week["until"]) + timedelta(days=1) if week else None
    stock = await _stock(reader, goal)
    start = since or today
    since_run: dict[str, Any] | None = None
    if start is not None and today is not None and start < today:
        since_run = await reader.get("inventory_sales_report", {"since": start.isoformat()})
    elif today is not None:
        since_run = {"revenue_minor": 0, "gross_profit_minor": 0, "units": 0}
    reviews, mean = await _reviews(reader)
    claims = [
        ClaimSignal(id=c["id"], text=c["text"]) for c in await reader.pages("ads_list_claims") if c.get("approved")
    ]
    observation = Observation(
        day=today,
        kpi_value=_kpi(goal, since_run, stock),
        revenue_7d_minor=(week or {}).get("revenue_minor", 0),
        units_7d=(week or {}).get("units", 0),
        gross_profit_7d_minor=(week or {}).get("gross_profit_minor", 0),
        lost_units_7d=(week or {}).get("lost_units", 0),
        stock=stock,
        campaigns=await _campaigns(reader),
        negative_reviews=reviews,
        review_mean=mean,
        segments=await _segments(reader),
        claims=claims,
    )
    observation.tool_calls = reader.calls
    return observation
