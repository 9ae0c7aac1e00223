"""`cadencia run` and `cadencia rollback`: start, resume and undo runs from a terminal (approvals: `approvals_cli`)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Annotated

import anyio
import typer

from cadencia.agents.cli_common import ExitCode, WorkdirOption, console, fail, recorded_session
from cadencia.agents.driver import DriveResult, DriveStatus, RunClosed, drive
from cadencia.agents.executions import run_executions
from cadencia.agents.goal import Goal, GoalError
from cadencia.agents.guardrails import load_policy
from cadencia.agents.mcp_client import ConnectFailed
from cadencia.agents.planners.factory import PlannerError, make_planner
from cadencia.agents.rollback import rollback
from cadencia.agents.runs import RunIndex, RunRecord, RunStatus
from cadencia.agents.session import INPROCESS, STDIO, AgentSession, inprocess_spec, open_session
from cadencia.agents.terminal import LiveView, print_pending, print_report, print_rollback, prompt_approver
from cadencia.agents.workdir import Workdir
from cadencia.servers.vendors import load_vendor_config
from cadencia.tools.errors import CadenciaError
from cadencia.tools.store.store import Store


def finish(result: DriveResult, where: Workdir) -> None:
    """Print the outcome; a run paused on an approval exits with `ExitCode.WAITING_APPROVAL` (3)."""
    if result.status is DriveStatus.WAITING_APPROVAL and result.pending is not None:
        print_pending(console, result.pending, where)
        raise typer.Exit(ExitCode.WAITING_APPROVAL)
    if result.report is not None:
        print_report(console, result.report, where)


def _refusal(record: RunRecord) -> str | None:
    """Why an existing run id cannot be resumed by `cadencia run`, or None when it can."""
    state = record.state
    if state.closed:
        return f"run {record.run_id!r} already exists and is {state.value} (closed); choose another --run-id"
    if state is RunStatus.WAITING_APPROVAL:
        return (
            f"run {record.run_id!r} is waiting for an approval; answer it with `cadencia approvals approve|reject` "
            "(see `cadencia approvals list`)"
        )
    if record.busy:
        return f"run {record.run_id!r} is running in process {record.owner}"
    if record.kind == "demo":
        return f"run {record.run_id!r} is a demo, driven by the market simulator; start a new `cadencia demo`"
    return None


def run(
    goal: Annotated[
        Path | None,
        typer.Option("--goal", exists=True, dir_okay=False, help="Goal YAML file (not needed to resume a run)."),
    ] = None,
    planner: Annotated[str, typer.Option(help="heuristic (no LLM) or llm.")] = "heuristic",
    model: Annotated[str | None, typer.Option(help="For --planner llm: provider:model, e.g. openai:gpt-4.1.")] = None,
    workdir: WorkdirOption = None,
    servers: Annotated[
        str, typer.Option(help="inprocess (embedded sandbox), stdio, or space-separated http://…/mcp URLs.")
    ] = INPROCESS,
    token: Annotated[str | None, typer.Option(envvar="CADENCIA_TOKEN", help="Bearer token for HTTP servers.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Guardrail policy YAML (default: the built-in policy).")] = None,
    run_id: Annotated[
        str | None, typer.Option(help="Run id (default: generated). An interrupted run with this id is resumed.")
    ] = None,
    max_cycles: Annotated[
        int | None, typer.Option(help="Stop after this many cycles (default: the KPI horizon).")
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive", help="Ask for approvals on this terminal (default: when stdin is one)."
        ),
    ] = None,
    backends: Annotated[
        Path | None,
        typer.Option(help="backends.yaml: run the in-process servers on vendors (Shopify, Meta, …).", dir_okay=False),
    ] = None,
    shadow: Annotated[
        bool, typer.Option("--shadow", help="With --backends: vendor writes are validated and recorded, not sent.")
    ] = False,
) -> None:
    """Pursue a goal with guardrails, approvals and an audit log; pauses for approvals nobody here can give.

    Exit codes: 0 finished, 2 refused (bad input, or a run id that cannot resume), 3 paused on an approval.
    `--run-id` of an interrupted run (its process died) resumes it from its last checkpoint with its recorded goal,
    planner, servers and policy.

    Example: cadencia run --goal agents/goals/spring_launch.yaml --workdir ./lysa [--backends backends.yaml --shadow]
    """
    where = Workdir.at(workdir)
    existing = RunIndex(where.runs).get(run_id) if run_id else None
    if existing is not None:
        refusal = _refusal(existing)
        if refusal:
            raise fail(refusal)
        if goal is not None and Goal.from_yaml(goal) != Goal.model_validate_json(existing.goal):
            raise fail(f"run {existing.run_id!r} was started with another goal; resume it without --goal")
        rid = existing.run_id
        console.print(f"Resuming run [bold]{rid}[/] ({existing.state.value}) in {where.root}", soft_wrap=True)
        opening = recorded_session(existing, where, token=token)
        the_goal = Goal.model_validate_json(existing.goal)
    else:
        if goal is None:
            raise fail("--goal is required to start a run" + (f" (no run {run_id!r} to resume)" if run_id else ""))
        try:
            the_goal = Goal.from_yaml(goal)
            chosen = make_planner(planner, model=model)
            rules = load_policy(policy) if policy else None
        except (GoalError, PlannerError, ValueError) as exc:
            raise fail(str(exc)) from None
        if shadow and backends is None:
            raise fail("--shadow needs --backends (the sandbox is already harmless)")
        if backends is not None:
            if servers != INPROCESS:
                raise fail(
                    "--backends runs the in-process servers; for stdio or HTTP give --backends to `cadencia serve`"
                )
            try:
                load_vendor_config(backends, shadow=shadow)
            except CadenciaError as exc:
                raise fail(str(exc)) from None
            servers = inprocess_spec(backends, shadow=shadow)
        rid = run_id or f"run-{uuid.uuid4().hex[:10]}"
        console.print(f"Run [bold]{rid}[/] in {where.root}", soft_wrap=True)
        opening = open_session(
            workdir=where,
            goal=the_goal,
            run_id=rid,
            planner=chosen,
            servers=servers,
            policy=rules,
            token=token,
            max_cycles=max_cycles,
            planner_spec=f"{planner}:{model or ''}",
            kind="run",
        )
    ask = interactive if interactive is not None else sys.stdin.isatty()

    async def main() -> DriveResult:
        async with opening as session:
            with LiveView(console, rid, the_goal, cycles=session.context.max_cycles) as view:
                return await drive(
                    session, approver=prompt_approver(console, view) if ask else None, on_event=view.update
                )

    try:
        result = anyio.run(main)
    except RunClosed as exc:
        raise fail(str(exc)) from None
    except ConnectFailed as exc:
        RunIndex(where.runs).set_status(rid, RunStatus.FAILED)
        raise fail(f"{exc} (run {rid} marked failed)") from None
    finish(result, where)


def _call_record(session: AgentSession, record: RunRecord, where: Workdir) -> Store | None:
    """The servers' call record, when it is reachable from here: the sandbox store in process or behind stdio."""
    if record.servers == INPROCESS:
        return session.store
    if record.servers == STDIO:
        return Store.open(where.store, create=False)
    return None


def rollback_command(
    run_id: Annotated[str, typer.Argument(help="The run to roll back.")],
    workdir: WorkdirOption = None,
) -> None:
    """Undo a run's reversible actions newest first, from the audit log and the servers' call record.

    Lists every execution of the run and what became of it (undone, already undone, compensable, irreversible,
    failed, not found). Exit 0 when every change is undone, 1 when something remains in effect, 2 when refused.
    The run is closed afterwards; running it again undoes only what is left.

    Example: cadencia rollback run-1a2b3c --workdir ./lysa
    """
    where = Workdir.at(workdir)
    index = RunIndex(where.runs)
    record = index.get(run_id)
    if record is None:
        known = ", ".join(r.run_id for r in index.list()[-5:]) or "none"
        raise fail(f"no run {run_id!r} in {where.root} (latest runs: {known})")
    if record.busy:
        raise fail(f"run {run_id!r} is running in process {record.owner}; stop it before rolling it back")

    async def main() -> bool:
        async with recorded_session(record, where) as session:
            store = _call_record(session, record, where)
            try:
                executions = run_executions(
                    run_id, audit=session.audit, store=store, registry=session.toolbox.registry()
                )
            finally:
                if store is not None and store is not session.store:
                    store.close()
            report = await rollback(executions, toolbox=session.toolbox, audit=session.audit)
            session.audit.checkpoint()
            print_rollback(console, report)
            return report.complete

    complete = anyio.run(main)
    index.set_status(run_id, RunStatus.ROLLED_BACK)
    if not complete:
        raise typer.Exit(ExitCode.INCOMPLETE)
