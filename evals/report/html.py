"""One self-contained HTML report (inline CSS and SVG, no scripts, no external assets); all text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from cadencia.evals.metrics import SuiteSummary, score_of
from cadencia.evals.report.plots import cover_chart, profit_chart, spend_chart
from cadencia.evals.results import EpisodeResult, EvalRun
from cadencia.evals.scorers import GATES, failed_gates
from cadencia.tools.money import format_amount

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #111827; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #e5e7eb; padding: 4px 8px; }
th { background: #f3f4f6; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #15803d; font-weight: 600; } .fail { color: #b91c1c; font-weight: 600; } .na { color: #9ca3af; }
.meta { color: #4b5563; } .charts { display: flex; flex-wrap: wrap; gap: 8px; }
.chart { border: 1px solid #e5e7eb; background: #fff; }
details { margin: 4px 0; } summary { cursor: pointer; } .matrix td { text-align: center; }
.matrix thead th { font-size: 12px; } .scroll { overflow-x: auto; }
"""


class Markup(str):
    """Trusted HTML built here; every other string is escaped on output."""


def _h(value: str) -> str:
    return value if isinstance(value, Markup) else escape(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: frozenset[int] = frozenset()) -> Markup:
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{_h(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return Markup(f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


SHOWN_AS_NUMBER = frozenset({"goal_attainment"})
"""Graded scores shown as their value in the matrix: a stretch KPI target missed by a little is not a red cross."""


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def money(minor: float | None) -> str:
    return "—" if minor is None else format_amount(minor)


def verdict(passed: bool | None) -> Markup:
    if passed is None:
        return Markup('<span class="na">n/a</span>')
    return Markup('<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>')


def _header(run: EvalRun, summary: SuiteSummary) -> Markup:
    finished = run.finished.isoformat(timespec="seconds") if run.finished else "—"
    facts = [
        ("planner", run.planner),
        ("seed", str(run.seed) if run.seed >= 0 else "each scenario's own"),
        ("trials", str(run.trials)),
        ("started", run.started.isoformat(timespec="seconds") if run.started else "—"),
        ("finished", finished),
        ("episodes passed", f"{summary.passed_episodes}/{summary.episodes}"),
    ]
    items = " · ".join(f"{escape(k)} <b>{escape(v)}</b>" for k, v in facts)
    title = escape(f"{run.suite} {run.suite_version}")
    return Markup(f"<header><h1>Cadencia eval · {title}</h1><p class=meta>{items}</p></header>")


def _headline(run: EvalRun, summary: SuiteSummary) -> Markup:
    ks = list(range(1, run.trials + 1))
    pass_k = _table(
        ["", *(f"pass^{k}" for k in ks)], [["all scenarios", *(pct(summary.pass_hat_k.get(k)) for k in ks)]]
    )
    rows = [
        ["episode pass rate", pct(summary.pass_rate)],
        ["scenarios beating the do-nothing baseline", pct(summary.profit_positive_share)],
        ["mean incremental profit (EUR)", money(summary.incremental_profit_mean_minor)],
        ["violations that reached the world", str(summary.violations)],
        ["unapproved irreversible calls", str(summary.unapproved_irreversible)],
        ["forbidden calls", str(summary.forbidden_calls)],
        ["utility (no attack)", pct(summary.utility)],
        [f"attack success rate ({summary.injection_episodes} attacked episodes)", pct(summary.attack_success_rate)],
        ["utility under attack", pct(summary.utility_under_attack)],
        ["utility of the clean twins", pct(summary.utility_clean_twins)],
    ]
    return Markup(f"<h2>Headline</h2>{pass_k}{_table(['metric', 'value'], rows, numeric=frozenset({1}))}")


def _scorers(summary: SuiteSummary) -> Markup:
    rows = [
        [r.scorer, "gate" if r.gate else "", str(r.applicable), str(r.passed), pct(r.rate)] for r in summary.scorers
    ]
    table = _table(["scorer", "gate", "applicable", "passed", "pass rate"], rows, numeric=frozenset({2, 3, 4}))
    return Markup(f"<h2>Scorers</h2>{table}")


def _episode_row(episode: EpisodeResult) -> list[str]:
    profit = score_of(episode, "incremental_profit")
    violations = score_of(episode, "world_safety")
    unapproved = score_of(episode, "unapproved_irreversible")
    attack = score_of(episode, "injection")
    goal = score_of(episode, "goal_attainment")
    return [
        episode.scenario_id,
        str(episode.trial),
        verdict(episode.passed),
        money(profit.value) if profit else "—",
        f"{violations.value:g}" if violations else "—",
        f"{unapproved.value:g}" if unapproved else "—",
        "—" if attack is None or attack.passed is None else ("yes" if attack.value > 0 else "no"),
        pct(goal.value) if goal else "—",
        ", ".join(s.scorer for s in failed_gates(episode.scores)),
    ]


def _episodes(run: EvalRun) -> Markup:
    headers = [
        "scenario",
        "trial",
        "result",
        "incremental profit (EUR)",
        "violations",
        "unapproved",
        "attack success",
        "KPI attainment",
        "failed gates",
    ]
    rows = [_episode_row(e) for e in run.episodes]
    return Markup(f"<h2>Scenarios</h2>{_table(headers, rows, numeric=frozenset({1, 3, 4, 5, 7}))}")


def by_scenario(run: EvalRun) -> dict[str, list[EpisodeResult]]:
    """Episodes grouped by scenario id (first-seen order), trials in order."""
    groups: dict[str, list[EpisodeResult]] = {}
    for episode in run.episodes:
        groups.setdefault(episode.scenario_id, []).append(episode)
    return {sid: sorted(group, key=lambda e: e.trial) for sid, group in groups.items()}


def _plots(run: EvalRun) -> Markup:
    sections = [
        f"<section><h3>{escape(sid)}</h3><div class=charts>"
        f"{profit_chart(group)}{spend_chart(group[0])}{cover_chart(group)}</div></section>"
        for sid, group in by_scenario(run).items()
    ]
    return Markup("<h2>Plots</h2>" + "".join(sections))


def _matrix(run: EvalRun, names: Sequence[str]) -> Markup:
    head = "".join(f"<th>{escape(n).replace('_', '_<wbr>')}{'*' if n in GATES else ''}</th>" for n in names)
    rows: list[str] = []
    for episode in run.episodes:
        cells = []
        for name in names:
            score = score_of(episode, name)
            mark = "·" if score is None or score.passed is None else ("✓" if score.passed else "✗")
            css = "na" if mark == "·" else ("pass" if mark == "✓" else "fail")
            if name in SHOWN_AS_NUMBER and score is not None and name not in GATES:
                mark, css = pct(score.value), "num"
            tip = escape(score.detail if score else "not scored", quote=True)
            cells.append(f'<td class="{css}" title="{tip}">{mark}</td>')
        label = escape(f"{episode.scenario_id} · trial {episode.trial}")
        rows.append(f"<tr><th>{label}</th>{''.join(cells)}</tr>")
    table = f"<table class=matrix><thead><tr><th>episode</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return Markup(f"<h2>Scores by episode</h2><p class=meta>* gate</p><div class=scroll>{table}</div>")


def _details(run: EvalRun) -> Markup:
    blocks = []
    for episode in run.episodes:
        rows = [[s.scorer, verdict(s.passed), f"{s.value:g}", s.detail] for s in episode.scores]
        table = _table(["scorer", "result", "value", "detail"], rows, numeric=frozenset({2}))
        summary = escape(f"{episode.scenario_id} · trial {episode.trial}")
        error = episode.trajectory.error
        note = f"<p class=fail>error: {escape(error)}</p>" if error else ""
        blocks.append(f"<details><summary>{summary} {verdict(episode.passed)}</summary>{note}{table}</details>")
    return Markup("<h2>Score details</h2>" + "".join(blocks))


def render_html(run: EvalRun) -> str:
    summary = run.computed_summary()
    names = [r.scorer for r in summary.scorers]
    title = escape(f"Cadencia eval · {run.suite} {run.suite_version} · {run.planner}")
    body = "".join(
        [
            _header(run, summary),
            _headline(run, summary),
            _scorers(summary),
            _episodes(run),
            _plots(run),
            _matrix(run, names),
            _details(run),
        ]
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def write_html(path: Path, run: EvalRun) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(run), encoding="utf-8")
