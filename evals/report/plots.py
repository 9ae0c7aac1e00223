"""The report's per-scenario plots: cumulative profit vs the baseline, ad spend by channel, stock cover."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cadencia.evals.report.svg import MUTED, PALETTE, Series, Stack, line_chart, stacked_bars
from cadencia.evals.results import EpisodeResult
from cadencia.evals.world import DayReport

Points = list[tuple[float, float]]


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
        Series(f"trial {e.trial}", p, PALETTE[i % len(PALETTE)])
        for i, (e, p) in enumerate(zip(episodes, points, strict=True))
    ]


def _baseline_series(episodes: Sequence[EpisodeResult], points: Sequence[Points]) -> list[Series]:
    """Dashed baselines: one grey line when every trial shares it (same seed), else one per trial in its colour."""
    lines = [(i, e, line) for i, (e, line) in enumerate(zip(episodes, points, strict=True)) if line]
    if not lines:
        return []
    if all(line == lines[0][2] for _, _, line in lines):
        return [Series("baseline", lines[0][2], MUTED, dashed=True)]
    return [Series(f"baseline {e.trial}", line, PALETTE[i % len(PALETTE)], dashed=True) for i, e, line in lines]


def profit_chart(episodes: Sequence[EpisodeResult]) -> str:
    agent = [cumulative_major(d.profit_minor for d in e.trajectory.days) if e.trajectory.days else [] for e in episodes]
    baseline = [baseline_profit(e) for e in episodes]
    series = _agent_series(episodes, agent) + _baseline_series(episodes, baseline)
    return line_chart(series, title="Cumulative profit vs do-nothing baseline", y_label="EUR")


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
