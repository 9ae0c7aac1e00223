"""Performance over a window: reading `ad_performance`, per-campaign figures, marginal ROAS and lift."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select

from cadencia.tools.ads import marginal as mr
from cadencia.tools.ads.measure import Totals, lift, metrics, total
from cadencia.tools.ads.models import Campaign, CampaignPerformance, Metrics
from cadencia.tools.ads.rows import campaign
from cadencia.tools.ads.tables import ad_performance
from cadencia.tools.errors import InvalidArgument

MAX_WINDOW_DAYS = 366


@dataclass(frozen=True)
class Window:
    since: date
    until: date


def resolve_window(today: date, days: int, since: date | None, until: date | None) -> Window:
    """The days to report: `since`..`until` inclusive, else the last `days` days; data runs up to yesterday."""
    yesterday = today - timedelta(days=1)
    end = min(until or yesterday, yesterday)
    start = since or end - timedelta(days=days - 1)
    if since is not None and since > yesterday:
        raise InvalidArgument(
            f"since {since} is after the last day with data ({yesterday}); pick an earlier since", field="since"
        )
    if start > end:
        raise InvalidArgument(f"since {start} is after until {end}; give since ≤ until", field="since")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise InvalidArgument(f"since: the window may span at most {MAX_WINDOW_DAYS} days", field="since")
    return Window(since=start, until=end)


def _totals(row: Any) -> Totals:
    return Totals(
        spend_minor=row["spend_minor"],
        impressions=row["impressions"],
        clicks=row["clicks"],
        conversions=row["conversions"],
        revenue_minor=row["revenue_minor"],
        exposed_users=row["exposed_users"],
        holdout_users=row["holdout_users"],
        holdout_conversions=row["holdout_conversions"],
        days=1,
    )


def daily(conn: Connection, campaign_ids: Sequence[str], since: date, until: date) -> dict[str, dict[date, Totals]]:
    """Each campaign's rows between since and until inclusive, keyed by day."""
    out: dict[str, dict[date, Totals]] = defaultdict(dict)
    if not campaign_ids:
        return out
    rows = conn.execute(
        select(ad_performance).where(
            ad_performance.c.campaign_id.in_(list(campaign_ids)),
            ad_performance.c.day >= since.isoformat(),
            ad_performance.c.day <= until.isoformat(),
        )
    ).mappings()
    for row in rows:
        out[row["campaign_id"]][date.fromisoformat(row["day"])] = _totals(row)
    return out


@dataclass(frozen=True)
class Measured:
    performance: CampaignPerformance
    estimate: mr.Estimate
    totals: Totals


def measure_campaign(row: Any, days: dict[date, Totals], window: Window) -> Measured:
    """Figures, marginal ROAS and (with a holdout) lift of one campaign row over the window."""
    return measure(campaign(row), days, window)


def measure(info: Campaign, days: dict[date, Totals], window: Window) -> Measured:
    """Figures, marginal ROAS and (with a holdout) lift of one campaign over the window."""
    start = window.since - timedelta(days=mr.WARMUP_DAYS)
    series: list[mr.Day] = []
    in_window: list[Totals] = []
    for offset in range((window.until - start).days + 1):
        day = start + timedelta(days=offset)
        figures = days.get(day, Totals())
        inside = day >= window.since
        series.append(mr.Day(spend_minor=figures.spend_minor, revenue_minor=figures.revenue_minor, in_window=inside))
        if inside and day in days:
            in_window.append(figures)
    summed = total(in_window)
    estimate = mr.estimate(series)
    performance = CampaignPerformance(
        campaign_id=info.id,
        name=info.name,
        platform=info.platform,
        status=info.status,
        days_with_data=len(in_window),
        metrics=metrics(summed, info.currency),
        marginal=estimate.marginal,
        lift=lift(summed) if info.holdout_pct > 0 else None,
    )
    return Measured(performance=performance, estimate=estimate, totals=summed)


def scope_totals(measured: Sequence[Measured], currencies: set[str]) -> Metrics | None:
    if len(currencies) != 1:
        return None
    return metrics(total(m.totals for m in measured), next(iter(currencies)))
