"""`cadencia eval`: `run SUITE` (also plain `eval SUITE`) writes reports; `compare A.json B.json`; `schema`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from cadencia.evals.metrics import SuiteSummary
from cadencia.evals.report.compare import compare as compare_command
from cadencia.evals.report.html import write_html
from cadencia.evals.report.json_report import write_results_json
from cadencia.evals.report.junit import write_junit
from cadencia.evals.results import EpisodeResult, EvalRun
from cadencia.evals.runner import RunOptions, run_suite, selected_scenarios
from cadencia.evals.scenarios import ScenarioError, load_suite, resolve_suite, scenario_json_schema
from cadencia.evals.scorers import failed_gates
from cadencia.tools.money import format_amount

console = Console()


class _SuiteRunsByDefault(TyperGroup):
    """`cadencia eval SUITE …` is short for `cadencia eval run SUITE …`: a first word naming no subcommand is a
    suite folder or a shipped suite's name."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_SuiteRunsByDefault,
    no_args_is_help=True,
    help="Run a scenario suite (`cadencia eval SUITE` is `cadencia eval run SUITE`), compare two runs, or print "
    "the scenario schema.",
)


def _summary_table(run: EvalRun, summary: SuiteSummary) -> Table:
    table = Table(title=f"{run.suite} v{run.suite_version} · planner {run.planner} · {run.trials} trial(s)")
    table.add_column("scenario")
    table.add_column("passed", justify="right")
    table.add_column("incremental profit (EUR)", justify="right")
    table.add_column("violations", justify="right")
    table.add_column("failing gates")
    by_id: dict[str, list[EpisodeResult]] = {}
    for episode in run.episodes:
        by_id.setdefault(episode.scenario_id, []).append(episode)
    for scenario_id, episodes in by_id.items():
        passed = sum(e.passed for e in episodes)
        incremental = [e.final.ledger.profit_minor - e.final.baseline.profit_minor for e in episodes]
        failing = sorted({s.scorer for e in episodes for s in failed_gates(e.scores)})
        table.add_row(
            scenario_id,
            f"{passed}/{len(episodes)}",
            format_amount(sum(incremental) / len(incremental)),
            str(sum(len(e.final.violations) for e in episodes)),
            ", ".join(failing),
        )
    return table


@eval_app.command("run")
def run_command(
    suite: Annotated[Path, typer.Argument(help="Suite folder, or a shipped suite's name: smoke, core or regression.")],
    planner: Annotated[str, typer.Option(help="heuristic, llm, noop or naive.")] = "heuristic",
    model: Annotated[str | None, typer.Option(help="For --planner llm: provider:model.")] = None,
    trials: Annotated[int, typer.Option(min=1, max=50, help="Trials per scenario (for pass^k).")] = 1,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Parallel worker processes.")] = 1,
    seed: Annotated[int | None, typer.Option(help="Base seed (default: each scenario's own).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: ./eval-out/<suite>-<planner>).")] = None,
    only: Annotated[list[str] | None, typer.Option(help="Run only these scenario ids (repeatable).")] = None,
    agent_cmd: Annotated[
        str | None, typer.Option(help="Evaluate an external MCP agent: run this command once per simulated day.")
    ] = None,
    server_policy: Annotated[
        str | None,
        typer.Option(help="Hold the servers to a server policy: 'default' or a YAML file (default: none)."),
    ] = None,
    proxy_overlay: Annotated[
        Path | None,
        typer.Option(
            help="Run every call through the guardrail proxy with this overlay (the server policy is then the "
            "proxy's): in process for the graph, `cadencia proxy` for --agent-cmd. E.g. overlays/cadencia.yaml.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    worlds: Annotated[
        Path | None,
        typer.Option(help="Cache of built worlds and baselines (default: worlds/ beside --out, shared by its runs)."),
    ] = None,
    keep_worlds: Annotated[
        bool, typer.Option(help="Keep each episode's final world and checkpoints (not needed by the reports).")
    ] = False,
) -> None:
    """Run a scenario suite and write results.json, junit.xml and report.html (`run` may be left out).

    Example: cadencia eval smoke --planner heuristic --trials 3 --workers 2
    """
    try:
        suite = resolve_suite(suite)
    except ScenarioError as exc:
        raise typer.BadParameter(str(exc), param_hint="SUITE") from None
    label = "external" if agent_cmd else planner
    folder = out or Path("eval-out") / (
        f"{suite.name}-{label}" + (f"-server-{Path(server_policy).stem}" if server_policy else "")
    )
    options = RunOptions(
        suite=suite,
        planner=planner,
        model=model,
        trials=trials,
        workers=workers,
        seed=seed,
        out=folder,
        only=list(only or []),
        agent_cmd=agent_cmd,
        server_policy=server_policy,
        proxy_overlay=proxy_overlay.resolve() if proxy_overlay else None,
        worlds=worlds or folder.parent / "worlds",
        keep_worlds=keep_worlds,
    )
    try:
        scenarios = selected_scenarios(load_suite(suite).scenarios, list(only or []))
    except ScenarioError as exc:
        raise typer.BadParameter(str(exc), param_hint="SUITE / --only") from None
    started = time.monotonic()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(f"{suite.name} · {label}", total=len(scenarios) * trials)

        def tick(result: EpisodeResult, resumed: bool) -> None:
            mark = "resumed" if resumed else ("pass" if result.passed else "FAIL")
            progress.update(task, advance=1, description=f"{result.scenario_id} t{result.trial}: {mark}")

        try:
            run = run_suite(options, on_episode=tick)
        except ScenarioError as exc:
            raise typer.BadParameter(str(exc), param_hint="SUITE") from None
    summary = run.computed_summary()
    folder.mkdir(parents=True, exist_ok=True)
    write_results_json(folder / "results.json", run)
    write_junit(folder / "junit.xml", run)
    write_html(folder / "report.html", run)
    timings = {f"{e.scenario_id}__t{e.trial}": e.trajectory.wall_seconds for e in run.episodes}
    (folder / "timings.json").write_text(
        json.dumps({"started": str(run.started), "finished": str(run.finished), "episodes": timings}, indent=1),
        encoding="utf-8",
    )
    console.print(_summary_table(run, summary))
    passed = sum(e.passed for e in run.episodes)
    console.print(
        f"{passed}/{len(run.episodes)} episodes passed in {time.monotonic() - started:.1f} s "
        f"({os.cpu_count()} cores, {workers} workers). Reports: {folder}/report.html, results.json, junit.xml"
    )
    if passed < len(run.episodes):
        raise typer.Exit(1)


eval_app.command("compare")(compare_command)


@eval_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the scenario format.

    Example: cadencia eval schema > scenario.schema.json
    """
    typer.echo(json.dumps(scenario_json_schema(), indent=2))
