"""The report's per-scenario plots: cumulative profit over the baseline, ad spend by channel, stock cover.

Trials are drawn in their own colours (`TRIAL_COLORS`), never in the channel colours of the spend bars.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

from cadencia.evals.report.svg import MUTED, PALETTE, Series, Stack, line_chart, stacked_bars
from cadencia.evals.results import EpisodeResult
from cadencia.evals.world import DayReport

Points = list[tuple[float, float]]
TRIAL_COLORS = ("#111827", "#7c3aed", "#0d9488", "#b45309", "#be185d", "#4d7c0f", "#1e40af", "#9f1239")
"""Trial lines: dark, saturated and disjoint from `PALETTE`, which colours the ad channels."""


def cumulative_major(values: Iterable[int]) -> Points:
    """Running total of minor-unit amounts in major units, from (0, 0) then one point per day."""
    points: Points = [(0.0, 0.0)]
    total = 0
    for day, value in enumerate(values, start=1):
        total += value
        points.append((float(day), total / 100))
    return points


def baseline_profit(episode: EpisodeResult) -> Points:
    """The baseline's cumulative profit: day by day when the runner kept its days, else a straight line to its total."""
    final = episode.final
    if final.baseline_days:
        return cumulative_major(d.profit_minor for d in final.baseline_days)
    days = final.baseline.days or len(episode.trajectory.days)
    return [(0.0, 0.0), (float(days), final.baseline.profit_minor / 100)] if days else []


def _cover(days: Sequence[DayReport]) -> Points:
    return [(float(i), d.mean_stock_cover_days) for i, d in enumerate(days, start=1)]


def _agent_series(episodes: Sequence[EpisodeResult], points: Sequence[Points]) -> list[Series]:
    return [
        Series(f"trial {e.trial}", p, TRIAL_COLORS[i % len(TRIAL_COLORS)])
        for i, (e, p) in enumerate(zip(episodes, points, strict=True))
    ]


def _baseline_series(episodes: Sequence[EpisodeResult], points: Sequence[Points]) -> list[Series]:
    """Dashed baselines: one grey line when every trial shares it (same seed), else one per trial in its colour."""
    lines = [(i, e, line) for i, (e, line) in enumerate(zip(episodes, points, strict=True)) if line]
    if not lines:
        return []
    if all(line == lines[0][2] for _, _, line in lines):
        return [Series("baseline", lines[0][2], MUTED, dashed=True)]
    return [
        Series(f"baseline {e.trial}", line, TRIAL_COLORS[i % len(TRIAL_COLORS)], dashed=True) for i, e, line in lines
    ]


def _at(points: Points, x: float) -> float:
    """Linear interpolation of a polyline at x (held flat beyond its ends)."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 != x0 else y1
    return points[-1][1]


def incremental_profit(episode: EpisodeResult) -> Points:
    """The agent's cumulative profit minus the do-nothing baseline's, day by day (EUR): the effect, on its own scale."""
    days = episode.trajectory.days
    baseline = baseline_profit(episode)
    if not days or not baseline:
        return []
    return [(x, y - _at(baseline, x)) for x, y in cumulative_major(d.profit_minor for d in days)]


def profit_chart(episodes: Sequence[EpisodeResult]) -> str:
    """Cumulative profit over the baseline: a 1–12k EUR effect on a 100k EUR total is visible, not a hairline."""
    series = _agent_series(episodes, [incremental_profit(e) for e in episodes])
    days = max((len(e.trajectory.days) for e in episodes), default=0)
    if days:
        series.append(Series("do-nothing baseline", [(0.0, 0.0), (float(days), 0.0)], MUTED, dashed=True))
    return line_chart(series, title="Cumulative profit minus the do-nothing baseline", y_label="EUR")


def spend_chart(episode: EpisodeResult) -> str:
    days = episode.trajectory.days
    channels = sorted({channel for d in days for channel in d.spend_minor})
    stacks = [
        Stack(channel, [d.spend_minor.get(channel, 0) / 100 for d in days], PALETTE[i % len(PALETTE)])
        for i, channel in enumerate(channels)
    ]
    labels = [str(i) for i in range(1, len(days) + 1)]
    return stacked_bars(labels, stacks, title=f"Ad spend by channel, trial {episode.trial}", y_label="EUR per day")


def cover_chart(episodes: Sequence[EpisodeResult]) -> str:
    agent = [_cover(e.trajectory.days) for e in episodes]
    baseline = [_cover(e.final.baseline_days) for e in episodes]
    series = _agent_series(episodes, agent) + _baseline_series(episodes, baseline)
    return line_chart(series, title="Mean stock cover", y_label="days of demand")
