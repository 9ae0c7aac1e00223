"""A/B read-out of two campaigns on one metric: per-arm figures and a simple significance test."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from cadencia.tools.ads.measure import Totals, metrics, total
from cadencia.tools.ads.models import ArmResult, Experiment, ExperimentMetric, ExperimentReport, Metrics
from cadencia.tools.ads.stats import Significance, two_proportions, welch

ALPHA = 0.05
TESTS = {
    ExperimentMetric.ROAS: "Welch t-test on daily ROAS (revenue / spend) of the two arms",
    ExperimentMetric.CPA: "Welch t-test on daily conversions per unit spend (1 / CPA), so zero-conversion days count",
    ExperimentMetric.CTR: "two-proportion z-test on clicks / impressions",
    ExperimentMetric.CVR: "two-proportion z-test on conversions / clicks",
}


def metric_value(m: Metrics, metric: ExperimentMetric) -> float | None:
    if metric is ExperimentMetric.ROAS:
        return m.roas
    if metric is ExperimentMetric.CPA:
        return float(m.cpa_minor) if m.cpa_minor is not None else None
    if metric is ExperimentMetric.CTR:
        return m.ctr
    return m.cvr


def _daily(days: Sequence[Totals], metric: ExperimentMetric) -> list[float]:
    if metric is ExperimentMetric.ROAS:
        return [d.revenue_minor / d.spend_minor for d in days if d.spend_minor > 0]
    return [d.conversions / d.spend_minor for d in days if d.spend_minor > 0]


def _test(
    a: Sequence[Totals], b: Sequence[Totals], ta: Totals, tb: Totals, metric: ExperimentMetric
) -> Significance | None:
    if metric is ExperimentMetric.CTR:
        return two_proportions(ta.clicks, ta.impressions, tb.clicks, tb.impressions)
    if metric is ExperimentMetric.CVR:
        return two_proportions(ta.conversions, ta.clicks, tb.conversions, tb.clicks)
    return welch(_daily(a, metric), _daily(b, metric))


def _arm(campaign_id: str, days: Sequence[Totals], currency: str, metric: ExperimentMetric) -> tuple[ArmResult, Totals]:
    summed = total(days)
    m = metrics(summed, currency)
    arm = ArmResult(
        campaign_id=campaign_id,
        days_with_data=sum(1 for d in days if d.spend_minor > 0),
        metrics=m,
        value=metric_value(m, metric),
    )
    return arm, summed


def analyze(
    experiment: Experiment,
    a: Sequence[Totals],
    b: Sequence[Totals],
    *,
    currency: str,
    until: date | None,
) -> ExperimentReport:
    """Compare arm B with arm A over the experiment's days so far."""
    metric = experiment.metric
    arm_a, ta = _arm(experiment.campaign_a, a, currency, metric)
    arm_b, tb = _arm(experiment.campaign_b, b, currency, metric)
    test = _test(a, b, ta, tb, metric)
    difference = relative = None
    if arm_a.value is not None and arm_b.value is not None:
        difference = round(arm_b.value - arm_a.value, 6)
        relative = round(difference / arm_a.value, 4) if arm_a.value else None
    significant = test is not None and test.p_value < ALPHA
    better: Literal["a", "b"] | None = None
    if significant and test is not None:
        better = "b" if test.statistic > 0 else "a"
    if until is None:
        note = "no full day of data yet; check back after the first day"
    elif test is None:
        note = "not enough data for a test yet (need ≥ 2 days with spend per arm, or some clicks/conversions)"
    elif significant:
        note = f"arm {better} is better on {metric.value} at p < {ALPHA}"
    else:
        note = f"no significant difference on {metric.value} yet (p ≥ {ALPHA}); keep running or accept a tie"
    return ExperimentReport(
        experiment=experiment,
        since=experiment.started_on,
        until=until,
        arm_a=arm_a,
        arm_b=arm_b,
        difference=difference,
        relative_difference=relative,
        test=TESTS[metric],
        p_value=round(test.p_value, 6) if test else None,
        significant=significant,
        better=better,
        note=note,
    )
