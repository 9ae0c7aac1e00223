"""Ads measurement on hand-built data: statistics, marginal ROAS, lift, windows."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from cadencia.tools.ads import marginal as mr
from cadencia.tools.ads.measure import Totals, lift, metrics
from cadencia.tools.ads.reports import resolve_window
from cadencia.tools.ads.stats import (
    incomplete_beta,
    ols,
    relative_risk_interval,
    student_t_two_sided,
    two_proportions,
    welch,
)
from cadencia.tools.errors import InvalidArgument


def hill_series(levels: list[float], *, half: float, alpha: float, theta: float, seed: int = 1) -> list[mr.Day]:
    """Daily spend at `levels` (14 days each) and revenue = 40000·hill(adstocked spend), ±5% noise.

    The first 14 days only warm up the adstock (outside the window).
    """
    rng = random.Random(seed)
    spend = [round(level * rng.uniform(0.9, 1.0)) for level in levels for _ in range(14)]
    days = []
    for i, (s, x) in enumerate(zip(spend, mr.adstock(spend, theta), strict=True)):
        revenue = 40_000 * x**alpha / (x**alpha + half**alpha) * rng.uniform(0.95, 1.05)
        days.append(mr.Day(spend_minor=s, revenue_minor=round(revenue), in_window=i >= 14))
    return days


def true_elasticity(levels: list[float], half: float, alpha: float) -> float:
    """Hill elasticity at the geometric mean of the window's spend levels."""
    x = math.exp(sum(math.log(level) for level in levels[1:]) / (len(levels) - 1))
    return alpha * half**alpha / (x**alpha + half**alpha)


def test_ols_recovers_an_exact_line() -> None:
    fit = ols([1.0, 2.0, 3.0, 4.0], [3.0, 5.0, 7.0, 9.0])
    assert fit is not None and fit.slope == pytest.approx(2.0) and fit.intercept == pytest.approx(1.0)
    assert fit.r2 == pytest.approx(1.0) and fit.slope_se == pytest.approx(0.0)
    assert ols([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_student_t_and_incomplete_beta_match_known_values() -> None:
    assert student_t_two_sided(2.228, 10) == pytest.approx(0.05, abs=5e-4)
    assert student_t_two_sided(2.0, 10) == pytest.approx(0.0734, abs=5e-4)
    assert student_t_two_sided(0.0, 5) == pytest.approx(1.0)
    assert student_t_two_sided(1.96, 10_000) == pytest.approx(0.05, abs=1e-3)
    assert incomplete_beta(1, 1, 0.3) == pytest.approx(0.3)
    assert incomplete_beta(2.5, 4, 0.2) == pytest.approx(1 - incomplete_beta(4, 2.5, 0.8))


def test_two_proportion_and_welch_tests() -> None:
    z = two_proportions(50, 1000, 80, 1000)
    assert (
        z is not None and z.statistic == pytest.approx(2.72, abs=0.01) and z.p_value == pytest.approx(0.0065, abs=5e-4)
    )
    assert two_proportions(0, 100, 0, 100) is None
    same = welch([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same is not None and same.p_value == pytest.approx(1.0)
    apart = welch([1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.0])
    assert apart is not None and apart.statistic > 0 and apart.p_value < 0.001
    assert welch([1.0], [2.0, 3.0]) is None


def test_relative_lift_interval_needs_conversions_in_both_groups() -> None:
    lifted = relative_risk_interval(200, 10_000, 10, 1_000)
    assert lifted is not None and lifted[0] == pytest.approx(1.0) and lifted[1] < 1.0 < lifted[2]
    assert relative_risk_interval(200, 10_000, 0, 1_000) is None


def test_adstock_of_a_steady_spend_converges_to_that_spend() -> None:
    assert mr.adstock([1000] * 80, 0.7)[-1] == pytest.approx(1000, rel=1e-6)
    assert mr.adstock([1000, 0, 0], 0.0) == [1000, 0, 0]


def test_marginal_roas_recovers_elasticity_of_a_saturated_and_an_unsaturated_response() -> None:
    levels = [6000, 10000, 13000, 8000, 11000]
    saturated = mr.estimate(hill_series(levels, half=4000, alpha=1.5, theta=0.6)).marginal
    assert saturated.elasticity == pytest.approx(true_elasticity(levels, 4000, 1.5), abs=0.05)
    assert saturated.adstock_theta == pytest.approx(0.6, abs=0.15)
    assert saturated.marginal_roas is not None and saturated.average_roas is not None
    assert saturated.marginal_roas < 0.5 * saturated.average_roas and saturated.quality == "high"
    assert saturated.marginal_roas_low is not None and saturated.marginal_roas_high is not None
    assert saturated.marginal_roas_low < saturated.marginal_roas < saturated.marginal_roas_high
    fresh = mr.estimate(hill_series(levels, half=60_000, alpha=1.2, theta=0.6)).marginal
    assert fresh.elasticity == pytest.approx(true_elasticity(levels, 60_000, 1.2), abs=0.05)


def test_constant_spend_is_flagged_low_and_short_history_is_insufficient() -> None:
    flat = mr.estimate(hill_series([10_000] * 4, half=4000, alpha=1.5, theta=0.0)).marginal
    assert flat.quality == "low" and "barely varied" in flat.note
    assert flat.spend_variation is not None and flat.spend_variation < mr.MIN_VARIATION
    short = mr.estimate(hill_series([10_000, 10_000], half=4000, alpha=1.5, theta=0.5)[:19]).marginal
    assert short.quality == "insufficient" and short.marginal_roas is None and short.days_used == 5
    nothing = mr.estimate([mr.Day(0, 0, True)] * 30).marginal
    assert nothing.quality == "insufficient" and nothing.average_roas is None


def test_warmup_days_feed_the_adstock_but_not_the_fit() -> None:
    days = hill_series([6000, 12000, 8000, 11000], half=5000, alpha=1.3, theta=0.5)
    estimate = mr.estimate(days)
    assert estimate.marginal.days_used == 42
    assert estimate.spend_minor == sum(d.spend_minor for d in days[14:])


def test_scope_marginal_is_the_revenue_weighted_elasticity_times_roas() -> None:
    a = mr.estimate(hill_series([6000, 10000, 13000, 8000], half=4000, alpha=1.5, theta=0.5))
    b = mr.estimate(hill_series([6000, 10000, 13000, 8000], half=60_000, alpha=1.2, theta=0.5, seed=2))
    scope = mr.aggregate([a, b])
    beta_a, beta_b = a.marginal.elasticity or 0, b.marginal.elasticity or 0
    weighted = (beta_a * a.revenue_minor + beta_b * b.revenue_minor) / (a.spend_minor + b.spend_minor)
    assert scope.marginal_roas == pytest.approx(weighted, abs=1e-3)
    assert mr.aggregate([]).quality == "insufficient"


def test_metrics_and_lift_from_totals() -> None:
    t = Totals(
        spend_minor=10_000,
        impressions=50_000,
        clicks=500,
        conversions=40,
        revenue_minor=30_000,
        exposed_users=9_000,
        holdout_users=1_000,
        holdout_conversions=2,
        days=7,
    )
    m = metrics(t, "EUR")
    assert (m.ctr, m.cvr, m.cpa_minor, m.roas) == (0.01, 0.08, 250, 3.0)
    measured = lift(t)
    assert measured.incremental_conversions == pytest.approx(40 - 2 / 1000 * 9000)
    assert measured.relative_lift is not None and math.isclose(
        measured.relative_lift, (40 / 9000) / 0.002 - 1, rel_tol=1e-3
    )
    empty = lift(Totals(conversions=5, exposed_users=100, holdout_users=10))
    assert empty.relative_lift is None and "too few" in empty.note
    assert metrics(Totals(), "EUR").roas is None


def test_windows_run_up_to_yesterday() -> None:
    today = date(2026, 3, 2)
    assert resolve_window(today, 28, None, None).since == date(2026, 2, 2)
    clamped = resolve_window(today, 28, date(2026, 2, 20), date(2026, 9, 1))
    assert (clamped.since, clamped.until) == (date(2026, 2, 20), date(2026, 3, 1))
    with pytest.raises(InvalidArgument, match="since"):
        resolve_window(today, 28, date(2026, 3, 2), None)
    with pytest.raises(InvalidArgument, match="since"):
        resolve_window(today, 28, date(2026, 2, 20), date(2026, 2, 10))
    with pytest.raises(InvalidArgument, match="366"):
        resolve_window(today, 28, date(2024, 1, 1), None)
