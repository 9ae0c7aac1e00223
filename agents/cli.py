"""`cadencia run`, `demo`, `approvals`, `rollback`: drive the agent graph from a terminal."""

from __future__ import annotations

import json
import sys
import uuid
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

from cadencia.agents.approvals import ApprovalChoice, ApprovalResponse
from cadencia.agents.driver import DriveResult, DriveStatus, drive, pending_approval
from cadencia.agents.goal import Goal, GoalError
from cadencia.agents.guardrails import Policy, load_policy
from cadencia.agents.planners.factory import PlannerError, make_planner
from cadencia.agents.rollback import rollback
from cadencia.agents.runs import RunIndex, RunRecord, RunStatus
from cadencia.agents.session import INPROCESS, AgentSession, inprocess_spec, open_session
from cadencia.agents.terminal import LiveView, print_pending, print_report, print_rollback, prompt_approver
from cadencia.agents.workdir import Workdir
from cadencia.servers.vendors import load_vendor_config
from cadencia.tools.errors import CadenciaError

console = Console()
approvals_app = typer.Typer(help="List and answer approvals that paused a run.", no_args_is_help=True)

WorkdirOption = Annotated[
    Path | None,
    typer.Option(
        "--workdir",
        help="Run state directory (store, checkpoints, audit, key). Default: $CADENCIA_WORKDIR "
        "or the per-user data directory.",
    ),
]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {message}")
    return typer.Exit(2)


def run(
    goal: Annotated[Path, typer.Option("--goal", exists=True, dir_okay=False, help="Goal YAML file.")],
    planner: Annotated[str, typer.Option(help="heuristic (no LLM) or llm.")] = "heuristic",
    model: Annotated[str | None, typer.Option(help="For --planner llm: provider:model, e.g. openai:gpt-4.1.")] = None,
    workdir: WorkdirOption = None,
    servers: Annotated[
        str, typer.Option(help="inprocess (embedded sandbox), stdio, or space-separated http://…/mcp URLs.")
    ] = INPROCESS,
    token: Annotated[str | None, typer.Option(envvar="CADENCIA_TOKEN", help="Bearer token for HTTP servers.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Guardrail policy YAML (default: the built-in policy).")] = None,
    run_id: Annotated[str | None, typer.Option(help="Run id (default: generated).")] = None,
    max_cycles: Annotated[
        int | None, typer.Option(help="Stop after this many cycles (default: the KPI horizon).")
    ] = None,
    interactive: Annotated[
        bool | None, typer.Option(help="Ask for approvals on this terminal (default: when stdin is a terminal).")
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

    Example: cadencia run --goal agents/goals/spring_launch.yaml --workdir ./lysa [--backends backends.yaml --shadow]
    """
    try:
        parsed = Goal.from_yaml(goal)
        chosen = make_planner(planner, model=model)
        rules = load_policy(policy) if policy else None
    except (GoalError, PlannerError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if shadow and backends is None:
        raise _fail("--shadow needs --backends (the sandbox is already harmless)")
    if backends is not None:
        if servers != INPROCESS:
            raise _fail("--backends runs the in-process servers; for stdio or HTTP give --backends to `cadencia serve`")
        try:
            load_vendor_config(backends, shadow=shadow)
        except CadenciaError as exc:
            raise _fail(str(exc)) from None
        servers = inprocess_spec(backends, shadow=shadow)
    where = Workdir.at(workdir)
    rid = run_id or f"run-{uuid.uuid4().hex[:10]}"
    index = RunIndex(where.runs)
    index.add(
        run_id=rid,
        goal_json=parsed.model_dump_json(),
        planner=f"{planner}:{model or ''}",
        servers=servers,
        policy_json=rules.model_dump_json() if rules else None,
        max_cycles=max_cycles,
    )
    ask = interactive if interactive is not None else sys.stdin.isatty()

    async def main() -> DriveResult:
        async with open_session(
            workdir=where,
            goal=parsed,
            run_id=rid,
            planner=chosen,
            servers=servers,
            policy=rules,
            token=token,
            max_cycles=max_cycles,
        ) as session:
            with LiveView(console, rid, parsed) as view:
                return await drive(session, approver=prompt_approver(console) if ask else None, on_event=view.update)

    result = anyio.run(main)
    _finish(index, rid, result, where)


def _finish(index: RunIndex, run_id: str, result: DriveResult, where: Workdir) -> None:
    if result.status is DriveStatus.WAITING_APPROVAL and result.pending is not None:
        index.set_status(run_id, RunStatus.WAITING_APPROVAL)
        print_pending(console, result.pending, where)
        return
    index.set_status(run_id, RunStatus.DONE)
    if result.report is not None:
        print_report(console, result.report, where)


def _recorded_session(record: RunRecord, where: Workdir) -> AbstractAsyncContextManager[AgentSession]:
    """Reopen a recorded run: its goal, planner, servers, policy and cycle limit, as `cadencia run` started it."""
    kind, _, model = record.planner.partition(":")
    return open_session(
        workdir=where,
        goal=Goal.model_validate_json(record.goal),
        run_id=record.run_id,
        planner=make_planner(kind, model=model or None),
        servers=record.servers,
        policy=Policy.model_validate_json(record.policy) if record.policy else None,
        max_cycles=record.max_cycles,
    )


def _resume(
    approval_id: str, response_for: str, *, edit: str | None, approver: str, workdir: Path | None, note: str
) -> None:
    where = Workdir.at(workdir)
    index = RunIndex(where.runs)
    run_id = approval_id.split("/", 1)[0]
    record = index.get(run_id)
    if record is None:
        raise _fail(f"no run {run_id!r} in {where.root}; see `cadencia approvals list`")
    edited = None
    if edit is not None:
        try:
            edited = json.loads(edit)
        except json.JSONDecodeError as exc:
            raise _fail(f"--edit is not valid JSON: {exc}") from None
        if not isinstance(edited, dict):
            raise _fail("--edit must be a JSON object of tool arguments")

    async def main() -> DriveResult | None:
        async with _recorded_session(record, where) as session:
            pending = await pending_approval(session)
            if pending is None or pending.approval_id != approval_id:
                return None
            choice = ApprovalChoice.EDIT if edited is not None else ApprovalChoice(response_for)
            answer = ApprovalResponse(
                choice=choice, request_hash=pending.request_hash, approver=approver, edited_args=edited, note=note
            )
            with LiveView(console, run_id, session.goal) as view:
                return await drive(session, resume=answer, on_event=view.update)

    result = anyio.run(main)
    if result is None:
        raise _fail(f"{approval_id} is not waiting for an approval; see `cadencia approvals list`")
    _finish(index, run_id, result, where)


@approvals_app.command("approve")
def approve(
    approval_id: Annotated[str, typer.Argument(help="RUN_ID/ACTION_ID as shown by `approvals list`.")],
    edit: Annotated[
        str | None, typer.Option(help="JSON object of edited arguments (re-guarded before running).")
    ] = None,
    approver: Annotated[str, typer.Option(help="Who approves (recorded in the audit log).")] = "cli",
    note: Annotated[str, typer.Option(help="Why.")] = "",
    workdir: WorkdirOption = None,
) -> None:
    """Approve (or edit) a pending action and resume its run, in this process.

    Example: cadencia approvals approve run-1a2b3c/c0.4 --workdir ./lysa
    """
    _resume(approval_id, "approve", edit=edit, approver=approver, workdir=workdir, note=note)


@approvals_app.command("reject")
def reject(
    approval_id: Annotated[str, typer.Argument(help="RUN_ID/ACTION_ID as shown by `approvals list`.")],
    approver: Annotated[str, typer.Option(help="Who rejects (recorded in the audit log).")] = "cli",
    note: Annotated[str, typer.Option(help="Why.")] = "",
    workdir: WorkdirOption = None,
) -> None:
    """Reject a pending action; the run continues without it.

    Example: cadencia approvals reject run-1a2b3c/c0.4 --note "not during the launch"
    """
    _resume(approval_id, "reject", edit=None, approver=approver, workdir=workdir, note=note)


@approvals_app.command("list")
def list_approvals(workdir: WorkdirOption = None) -> None:
    """Show every action waiting for a person, with its verdicts and the hash it is bound to.

    Example: cadencia approvals list --workdir ./lysa
    """
    where = Workdir.at(workdir)
    waiting = RunIndex(where.runs).list(status=RunStatus.WAITING_APPROVAL)
    if not waiting:
        console.print("No approvals pending.")
        return

    async def main() -> None:
        for record in waiting:
            async with _recorded_session(record, where) as session:
                pending = await pending_approval(session)
                if pending is not None:
                    print_pending(console, pending, where)

    anyio.run(main)


def rollback_command(
    run_id: Annotated[str, typer.Argument(help="The run to roll back.")],
    workdir: WorkdirOption = None,
) -> None:
    """Undo a run's reversible actions newest first; list what is compensable, irreversible or failed.

    Example: cadencia rollback run-1a2b3c --workdir ./lysa
    """
    where = Workdir.at(workdir)
    index = RunIndex(where.runs)
    record = index.get(run_id)
    if record is None:
        raise _fail(f"no run {run_id!r} in {where.root}")

    async def main() -> bool:
        async with _recorded_session(record, where) as session:
            snapshot = await session.graph.aget_state(session.config)
            report = await rollback(
                run_id, snapshot.values.get("executed", []), toolbox=session.toolbox, audit=session.audit
            )
            session.audit.checkpoint()
            print_rollback(console, report)
            return report.complete

    complete = anyio.run(main)
    index.set_status(run_id, RunStatus.ROLLED_BACK if complete else RunStatus.FAILED)
    if not complete:
        raise typer.Exit(1)
