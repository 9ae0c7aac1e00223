"""Marginal ROAS from daily history: log-log regression of revenue on adstocked spend, β·ROAS.

Revenue responds to spend with a carry-over (adstock), so same-day spend understates the response. Each day's
spend is turned into a geometric adstock x_t = s_t + θ·x_{t−1}, normalised by (1−θ) so a steady spend s gives
x = s; θ is chosen on a grid by best fit. The slope β of log revenue on log x is the spend elasticity, and the
marginal ROAS of a sustained budget change is β times the average ROAS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cadencia.tools.ads.models import MarginalRoas, Quality
from cadencia.tools.ads.stats import Z95, Fit, ols, std

METHOD = (
    "log-log OLS of daily attributed revenue on geometric-adstocked daily spend (carry-over θ chosen on a grid by "
    "best fit); elasticity β; marginal ROAS = β × average ROAS"
)
THETAS = tuple(i / 10 for i in range(10))
MIN_DAYS = 7
MIN_VARIATION = 0.05
WARMUP_DAYS = 42
"""History read before the window so the adstock is warmed up (0.9^42 ≈ 1%)."""


@dataclass(frozen=True)
class Day:
    spend_minor: int
    revenue_minor: int
    in_window: bool


@dataclass(frozen=True)
class Estimate:
    """One campaign's fit, kept numeric so scopes can be aggregated."""

    marginal: MarginalRoas
    spend_minor: int
    revenue_minor: int


def adstock(spend: Sequence[int], theta: float) -> list[float]:
    """Normalised geometric adstock: (1−θ)·Σ θ^k s_{t−k}."""
    carry, out = 0.0, []
    for s in spend:
        carry = s + theta * carry
        out.append(carry * (1 - theta))
    return out


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _best_fit(days: Sequence[Day]) -> tuple[float, Fit, float] | None:
    """(θ, fit, spread of log x) with the highest R² over the window's days with spend and revenue."""
    best: tuple[float, Fit, float] | None = None
    spend = [d.spend_minor for d in days]
    for theta in THETAS:
        xs, ys = [], []
        for day, x in zip(days, adstock(spend, theta), strict=True):
            if day.in_window and day.spend_minor > 0 and day.revenue_minor > 0 and x > 0:
                xs.append(math.log(x))
                ys.append(math.log(day.revenue_minor))
        fit = ols(xs, ys)
        if fit is not None and (best is None or fit.r2 > best[1].r2 + 1e-12):
            best = (theta, fit, std(xs))
    return best


def _quality(fit: Fit, spread: float) -> tuple[Quality, str]:
    if spread < MIN_VARIATION:
        return "low", (
            f"spend barely varied over the window (σ of log spend {spread:.3f} < {MIN_VARIATION}), so β is mostly "
            "noise; vary the budget in steps for a week or two before acting on it"
        )
    if fit.slope < 0:
        return "low", "revenue fell as spend rose (β < 0): other factors dominate; do not act on this estimate"
    if fit.slope_se <= 0.15 and fit.n >= 14:
        return "high", "good fit; interval is approximate (θ was chosen on the same data)"
    if fit.slope_se <= 0.3:
        return "medium", "usable with care: the interval is wide"
    return "low", "noisy fit: the interval is too wide to act on"


def estimate(days: Sequence[Day]) -> Estimate:
    """Marginal ROAS of one campaign over the window days of `days` (earlier days only warm up the adstock)."""
    window = [d for d in days if d.in_window]
    spend = sum(d.spend_minor for d in window)
    revenue = sum(d.revenue_minor for d in window)
    roas = revenue / spend if spend > 0 else None
    used = sum(1 for d in window if d.spend_minor > 0 and d.revenue_minor > 0)
    best = _best_fit(days) if used >= MIN_DAYS else None
    if best is None or roas is None:
        marginal = MarginalRoas(
            method=METHOD,
            elasticity=None,
            elasticity_se=None,
            adstock_theta=None,
            days_used=used,
            spend_variation=None,
            average_roas=_r(roas),
            marginal_roas=None,
            marginal_roas_low=None,
            marginal_roas_high=None,
            quality="insufficient",
            note=f"needs at least {MIN_DAYS} days with spend and revenue in the window (has {used})",
        )
        return Estimate(marginal=marginal, spend_minor=spend, revenue_minor=revenue)
    theta, fit, spread = best
    quality, note = _quality(fit, spread)
    marginal = MarginalRoas(
        method=METHOD,
        elasticity=_r(fit.slope),
        elasticity_se=_r(fit.slope_se),
        adstock_theta=theta,
        days_used=fit.n,
        spend_variation=_r(spread),
        average_roas=_r(roas),
        marginal_roas=_r(fit.slope * roas),
        marginal_roas_low=_r((fit.slope - Z95 * fit.slope_se) * roas),
        marginal_roas_high=_r((fit.slope + Z95 * fit.slope_se) * roas),
        quality=quality,
        note=note,
    )
    return Estimate(marginal=marginal, spend_minor=spend, revenue_minor=revenue)


QUALITY_ORDER: tuple[Quality, ...] = ("insufficient", "low", "medium", "high")


def aggregate(estimates: Sequence[Estimate]) -> MarginalRoas:
    """Scope-level marginal ROAS if every budget in scope moved by the same %: Σ βᵢ·Rᵢ / Σ Sᵢ."""
    spending = [e for e in estimates if e.spend_minor > 0]
    usable = [e for e in spending if e.marginal.elasticity is not None and e.marginal.elasticity_se is not None]
    spend = sum(e.spend_minor for e in usable)
    revenue = sum(e.revenue_minor for e in usable)
    if not usable or spend <= 0 or revenue <= 0:
        return MarginalRoas(
            method=METHOD,
            elasticity=None,
            elasticity_se=None,
            adstock_theta=None,
            days_used=0,
            spend_variation=None,
            average_roas=None,
            marginal_roas=None,
            marginal_roas_low=None,
            marginal_roas_high=None,
            quality="insufficient",
            note="no campaign in scope has a usable estimate",
        )
    weighted = sum((e.marginal.elasticity or 0.0) * e.revenue_minor for e in usable)
    se = math.sqrt(sum(((e.marginal.elasticity_se or 0.0) * e.revenue_minor) ** 2 for e in usable))
    quality = min((e.marginal.quality for e in spending), key=QUALITY_ORDER.index)
    left_out = len(spending) - len(usable)
    note = "revenue-weighted β over the campaigns in scope; quality is that of the weakest campaign"
    if left_out:
        note += f"; {left_out} spending campaign(s) without an estimate are left out"
    return MarginalRoas(
        method="revenue-weighted per-campaign estimates: " + METHOD,
        elasticity=_r(weighted / revenue),
        elasticity_se=_r(se / revenue),
        adstock_theta=None,
        days_used=max(e.marginal.days_used for e in usable),
        spend_variation=None,
        average_roas=_r(revenue / spend),
        marginal_roas=_r(weighted / spend),
        marginal_roas_low=_r((weighted - Z95 * se) / spend),
        marginal_roas_high=_r((weighted + Z95 * se) / spend),
        quality=quality,
        note=note,
    )
