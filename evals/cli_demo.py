"""`cadencia demo` command."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import anyio
import typer

from cadencia.agents.terminal import print_report
from cadencia.agents.workdir import Workdir
from cadencia.console import make_console
from cadencia.evals.demo import held_state, new_run_id, run_demo, totals_line
from cadencia.servers.paths import default_workdir

console = make_console()


def demo(
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir",
            help="Where to keep the demo's state: a new or empty directory (default: a fresh "
            "demos/<run id> directory in the per-user data directory).",
        ),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=60, help="Simulated days.")] = 14,
    interactive: Annotated[
        bool | None, typer.Option(help="Ask for approvals here (default: when stdin is a terminal).")
    ] = None,
) -> None:
    """Run the Maison Lysa spring-launch goal on the sandbox and market simulator, then verify the audit log.

    Example: cadencia demo --workdir ./lysa-demo
    """
    run_id = new_run_id()
    root = workdir or default_workdir() / "demos" / run_id
    held = held_state(root)
    if held:
        console.print(
            f"[red]error:[/] {root} already holds run state ({', '.join(held)}); the demo starts from a fresh "
            "seeded market and never reuses or deletes earlier state: give a new or empty --workdir",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    where = Workdir.at(root)
    ask = interactive if interactive is not None else sys.stdin.isatty()
    started = time.monotonic()
    console.print(f"[bold]Maison Lysa · spring launch[/] — {days} simulated days, heuristic planner, demo policy")
    console.print(f"Run {run_id} in {where.root}", soft_wrap=True)
    result = anyio.run(lambda: run_demo(where, console=console, interactive=ask, days=days, run_id=run_id))
    if result.days:
        console.print(totals_line(result.days), soft_wrap=True)
    if result.drive.report is not None:
        print_report(console, result.drive.report, where, audit_ok=result.audit.ok)
    if result.audit.ok:
        console.print(
            f"[green]Audit log verified[/]: {result.audit.records} records, "
            f"{result.audit.checkpoints_checked} signed checkpoint(s), root {result.audit.root_hash[:16]}…"
        )
    else:
        console.print(f"[red]Audit log verification failed[/]: {result.audit.problem}")
    console.print(f"Finished in {time.monotonic() - started:.1f} s.")
    if not result.audit.ok:
        raise typer.Exit(1)
