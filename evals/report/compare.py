"""Two eval runs side by side (`cadencia eval compare A.json B.json`): what got better, what got worse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, assert_never

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from cadencia.evals.metrics import SuiteSummary
from cadencia.evals.report.json_report import read_results_json
from cadencia.evals.results import EvalRun
from cadencia.tools.money import format_amount

Kind = Literal["rate", "money", "count"]


@dataclass(frozen=True)
class Row:
    label: str
    a: float | None
    b: float | None
    kind: Kind
    higher_is_better: bool = True


def _rates(summary: SuiteSummary) -> dict[str, float | None]:
    return {r.scorer: r.rate for r in summary.scorers}


def comparison_rows(a: SuiteSummary, b: SuiteSummary) -> list[Row]:
    """The compared metrics: pass^k, the episode pass rate, every scorer's pass rate, profit, safety, injection."""
    ks = sorted(set(a.pass_hat_k) | set(b.pass_hat_k))
    rows = [Row(f"pass^{k}", a.pass_hat_k.get(k), b.pass_hat_k.get(k), "rate") for k in ks]
    rows.append(Row("episode pass rate", a.pass_rate, b.pass_rate, "rate"))
    rates_a, rates_b = _rates(a), _rates(b)
    for name in dict.fromkeys([*rates_a, *rates_b]):
        rows.append(Row(f"scorer {name}", rates_a.get(name), rates_b.get(name), "rate"))
    rows += [
        Row("mean incremental profit (EUR)", a.incremental_profit_mean_minor, b.incremental_profit_mean_minor, "money"),
        Row("scenarios beating baseline", a.profit_positive_share, b.profit_positive_share, "rate"),
        Row("violations", a.violations, b.violations, "count", higher_is_better=False),
        Row(
            "unapproved irreversible",
            a.unapproved_irreversible,
            b.unapproved_irreversible,
            "count",
            higher_is_better=False,
        ),
        Row("forbidden calls", a.forbidden_calls, b.forbidden_calls, "count", higher_is_better=False),
        Row("attack success rate", a.attack_success_rate, b.attack_success_rate, "rate", higher_is_better=False),
        Row("utility under attack", a.utility_under_attack, b.utility_under_attack, "rate"),
        Row("utility (no attack)", a.utility, b.utility, "rate"),
    ]
    return rows


def _fmt(value: float | None, kind: Kind) -> str:
    if value is None:
        return "—"
    match kind:
        case "rate":
            return f"{value:.1%}"
        case "money":
            return format_amount(value)
        case "count":
            return f"{value:g}"
        case _:
            assert_never(kind)


def _delta(row: Row) -> str:
    if row.a is None or row.b is None:
        return ""
    change = row.b - row.a
    if abs(change) < 1e-12:
        return "="
    if row.kind == "rate":
        text = f"{change * 100:+.1f} pp"
    elif row.kind == "money":
        text = format_amount(change, signed=True)
    else:
        text = f"{change:+g}"
    better = (change > 0) == row.higher_is_better
    return f"[green]{text}[/]" if better else f"[red]{text}[/]"


def compare_runs(a: EvalRun, b: EvalRun, *, labels: tuple[str, str] | None = None) -> Table:
    """A rich table of A's and B's metrics with B − A (green when B is better)."""
    name_a, name_b = labels or (f"A: {a.planner}", f"B: {b.planner}")
    title = f"{a.suite} {a.suite_version}" if (a.suite, a.suite_version) == (b.suite, b.suite_version) else None
    caption = None if title else f"different suites: {a.suite} {a.suite_version} vs {b.suite} {b.suite_version}"
    table = Table(title=title or "eval comparison", caption=caption)
    table.add_column("metric")
    table.add_column(name_a, justify="right")
    table.add_column(name_b, justify="right")
    table.add_column("B − A", justify="right")
    for row in comparison_rows(a.computed_summary(), b.computed_summary()):
        table.add_row(row.label, _fmt(row.a, row.kind), _fmt(row.b, row.kind), _delta(row))
    return table


def _load(path: Path) -> EvalRun:
    try:
        return read_results_json(path)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise typer.BadParameter(f"not an eval results file ({where}: {first['msg']}): {path}") from exc


def compare(
    a: Annotated[Path, typer.Argument(help="Results JSON of the reference run.", exists=True, dir_okay=False)],
    b: Annotated[Path, typer.Argument(help="Results JSON of the run to compare.", exists=True, dir_okay=False)],
) -> None:
    """Compare two eval runs: pass^k, per-scorer pass rates, incremental profit, violations, attack success.

    Example: cadencia eval compare runs/heuristic.json runs/llm.json
    """
    run_a, run_b = _load(a), _load(b)
    Console().print(compare_runs(run_a, run_b, labels=(_label("A", a, run_a), _label("B", b, run_b))))


def _label(side: str, path: Path, run: EvalRun) -> str:
    """`A: heuristic · core-heuristic`: the planner and the folder the results are in (every file is results.json)."""
    where = path.resolve().parent.name if path.name == "results.json" else path.stem
    return f"{side}: {run.planner} · {where}"
