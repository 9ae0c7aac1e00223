"""From summed daily rows to reported figures: averages (CTR, CVR, CPA, ROAS) and holdout lift."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cadencia.tools.ads.models import Lift, Metrics
from cadencia.tools.ads.stats import relative_risk_interval, two_proportions


@dataclass(frozen=True)
class Totals:
    """Sums of `ad_performance` columns over some days and campaigns."""

    spend_minor: int = 0
    impressions: int = 0
    clicks: int = 0
    conversions: int = 0
    revenue_minor: int = 0
    exposed_users: int = 0
    holdout_users: int = 0
    holdout_conversions: int = 0
    days: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            spend_minor=self.spend_minor + other.spend_minor,
            impressions=self.impressions + other.impressions,
            clicks=self.clicks + other.clicks,
            conversions=self.conversions + other.conversions,
            revenue_minor=self.revenue_minor + other.revenue_minor,
            exposed_users=self.exposed_users + other.exposed_users,
            holdout_users=self.holdout_users + other.holdout_users,
            holdout_conversions=self.holdout_conversions + other.holdout_conversions,
            days=self.days + other.days,
        )


def total(parts: Iterable[Totals]) -> Totals:
    return sum(parts, Totals())


def _ratio(num: float, den: float, digits: int = 4) -> float | None:
    return round(num / den, digits) if den > 0 else None


def metrics(t: Totals, currency: str) -> Metrics:
    return Metrics(
        currency=currency,
        spend_minor=t.spend_minor,
        impressions=t.impressions,
        clicks=t.clicks,
        conversions=t.conversions,
        revenue_minor=t.revenue_minor,
        ctr=_ratio(t.clicks, t.impressions, 5),
        cvr=_ratio(t.conversions, t.clicks, 5),
        cpa_minor=round(t.spend_minor / t.conversions) if t.conversions > 0 else None,
        roas=_ratio(t.revenue_minor, t.spend_minor),
    )


def lift(t: Totals) -> Lift:
    """Exposed vs held-out conversion rate; conversions are the exposed group's (the holdout sees no ads)."""
    exposed_rate = _ratio(t.conversions, t.exposed_users, 6)
    holdout_rate = _ratio(t.holdout_conversions, t.holdout_users, 6)
    incremental = None
    share = None
    if t.exposed_users > 0 and t.holdout_users > 0:
        raw = t.conversions - t.holdout_conversions / t.holdout_users * t.exposed_users
        incremental = round(raw, 1)
        share = round(raw / t.conversions, 4) if t.conversions > 0 else None
    interval = relative_risk_interval(t.conversions, t.exposed_users, t.holdout_conversions, t.holdout_users)
    test = two_proportions(t.holdout_conversions, t.holdout_users, t.conversions, t.exposed_users)
    if interval is None:
        note = "too few conversions in the exposed or holdout group for an interval; widen the window"
    elif interval[1] > 0:
        note = "ads caused a measurable lift (95% interval above zero)"
    else:
        note = "lift not distinguishable from zero at 95%; the attributed revenue may be mostly non-incremental"
    return Lift(
        exposed_users=t.exposed_users,
        exposed_conversions=t.conversions,
        holdout_users=t.holdout_users,
        holdout_conversions=t.holdout_conversions,
        exposed_rate=exposed_rate,
        holdout_rate=holdout_rate,
        incremental_conversions=incremental,
        incremental_share=share,
        relative_lift=round(interval[0], 4) if interval else None,
        relative_lift_low=round(interval[1], 4) if interval else None,
        relative_lift_high=round(interval[2], 4) if interval else None,
        p_value=round(test.p_value, 6) if test else None,
        note=note,
    )
