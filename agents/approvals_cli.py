"""`cadencia approvals list|approve|reject`: answer the approvals that paused runs, from any process.

Only runs waiting for an approval can be answered (finished, rolled-back and interrupted runs are closed to it),
so `list` and `approve` always agree.
"""

from __future__ import annotations

import json
from typing import Annotated

import anyio
import typer

from cadencia.agents.approvals import ApprovalChoice, ApprovalResponse
from cadencia.agents.cli import finish
from cadencia.agents.cli_common import WorkdirOption, console, fail, recorded_session
from cadencia.agents.driver import DriveResult, RunClosed, drive, pending_approval
from cadencia.agents.runs import RunIndex, RunStatus
from cadencia.agents.terminal import LiveView, print_pending
from cadencia.agents.workdir import Workdir

approvals_app = typer.Typer(help="List and answer approvals that paused a run.", no_args_is_help=True)


def _resume(
    approval_id: str, response_for: str, *, edit: str | None, approver: str, workdir: Workdir, note: str
) -> None:
    index = RunIndex(workdir.runs)
    run_id = approval_id.split("/", 1)[0]
    record = index.get(run_id)
    if record is None:
        raise fail(f"no run {run_id!r} in {workdir.root}; see `cadencia approvals list`")
    if record.state is not RunStatus.WAITING_APPROVAL:
        raise fail(f"run {run_id!r} is {record.state.value}: nothing in it waits for an approval")
    edited = None
    if edit is not None:
        try:
            edited = json.loads(edit)
        except json.JSONDecodeError as exc:
            raise fail(f"--edit is not valid JSON: {exc}") from None
        if not isinstance(edited, dict):
            raise fail("--edit must be a JSON object of tool arguments")

    async def main() -> DriveResult | None:
        async with recorded_session(record, workdir) as session:
            pending = await pending_approval(session)
            if pending is None or pending.approval_id != approval_id:
                return None
            choice = ApprovalChoice.EDIT if edited is not None else ApprovalChoice(response_for)
            answer = ApprovalResponse(
                choice=choice, request_hash=pending.request_hash, approver=approver, edited_args=edited, note=note
            )
            with LiveView(console, run_id, session.goal) as view:
                return await drive(session, resume=answer, on_event=view.update)

    try:
        result = anyio.run(main)
    except RunClosed as exc:
        raise fail(str(exc)) from None
    if result is None:
        raise fail(f"{approval_id} is not waiting for an approval; see `cadencia approvals list`")
    finish(result, workdir)


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

    Exit codes: 0 the run finished, 2 refused, 3 the run paused on its next approval.

    Example: cadencia approvals approve run-1a2b3c/c0.4 --workdir ./lysa
    """
    _resume(approval_id, "approve", edit=edit, approver=approver, workdir=Workdir.at(workdir), note=note)


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
    _resume(approval_id, "reject", edit=None, approver=approver, workdir=Workdir.at(workdir), note=note)


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
            async with recorded_session(record, where) as session:
                pending = await pending_approval(session)
                if pending is not None:
                    print_pending(console, pending, where)

    anyio.run(main)
