"""`cadencia approvals list|approve|reject`: answer the approvals that paused runs, from any process.

Only runs waiting for an approval can be answered (finished, rolled-back and interrupted runs are closed to it),
so `list` and `approve` always agree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import anyio
import typer
from pydantic import JsonValue

from cadencia.agents.approvals import ApprovalChoice, ApprovalResponse
from cadencia.agents.cli import finish
from cadencia.agents.cli_common import WorkdirOption, console, fail, recorded_session
from cadencia.agents.driver import DriveResult, DriveStatus, RunClosed, drive, pending_approval
from cadencia.agents.edits import EditError, apply_edit
from cadencia.agents.hitl import HitlAnswerError, resume_response
from cadencia.agents.runs import RunIndex, RunRecord, RunStatus
from cadencia.agents.terminal import LiveView, print_pending
from cadencia.agents.workdir import Workdir
from cadencia.servers.safety.call import is_server_approval
from cadencia.servers.safety.cli import answer_server_approval, print_server_approvals
from cadencia.tools.approvals import ApprovalNotFound
from cadencia.tools.names import base_name

approvals_app = typer.Typer(help="List and answer approvals that paused a run.", no_args_is_help=True)


def _waiting(workdir: Workdir, run_id: str) -> RunRecord:
    """The run's record, if it is waiting for an approval (anything else is refused with its state)."""
    record = RunIndex(workdir.runs).get(run_id)
    if record is None:
        raise fail(f"no run {run_id!r} in {workdir.root}; see `cadencia approvals list`")
    if record.state is not RunStatus.WAITING_APPROVAL:
        raise fail(f"run {run_id!r} is {record.state.value}: nothing in it waits for an approval")
    return record


def _patch(edit: str | None) -> JsonValue:
    if edit is None:
        return None
    try:
        return json.loads(edit)
    except json.JSONDecodeError as exc:
        raise fail(f"--edit is not valid JSON: {exc}") from None


def _answer_one(
    approval_id: str, choice: ApprovalChoice, *, edit: str | None, approver: str, workdir: Workdir, note: str
) -> None:
    run_id = approval_id.split("/", 1)[0]
    record = _waiting(workdir, run_id)
    patch = _patch(edit)

    async def main() -> DriveResult | str:
        async with recorded_session(record, workdir) as session:
            pending = await pending_approval(session)
            if pending is None or pending.approval_id != approval_id:
                return f"{approval_id} is not waiting for an approval; see `cadencia approvals list`"
            edited = None
            if edit is not None:
                tool = session.toolbox.tools.get(pending.assessment.action.tool)
                schema = tool.args_schema if tool is not None and isinstance(tool.args_schema, dict) else None
                try:
                    edited = apply_edit(pending.assessment.effective_args, patch, schema)
                except EditError as exc:
                    return f"--edit refused, nothing changed: {exc}"
            answer = ApprovalResponse(
                choice=ApprovalChoice.EDIT if edited is not None else choice,
                request_hash=pending.request_hash,
                approver=approver,
                edited_args=edited,
                note=note,
            )
            with LiveView(console, run_id, session.goal, cycles=session.context.max_cycles) as view:
                return await drive(session, resume=answer, on_event=view.update)

    _resume_and_finish(main, workdir)


def _resume_and_finish(main: Callable[[], Awaitable[DriveResult | str]], workdir: Workdir) -> None:
    """Run a resume; a string it returns is a refusal (nothing changed), a result is reported as the run's end."""
    try:
        result = anyio.run(main)
    except RunClosed as exc:
        raise fail(str(exc)) from None
    if isinstance(result, str):
        raise fail(result)
    finish(result, workdir)


def _matches(tool: str, wanted: list[str]) -> bool:
    return not wanted or tool in wanted or base_name(tool) in wanted


def _approve_all(run_id: str, tools: list[str], *, approver: str, workdir: Workdir, note: str) -> None:
    """Approve the run's approvals one after another while they match `tools`; each answer is bound to the hash of
    the request it approves (printed), so nothing but that exact request runs on it."""
    record = _waiting(workdir, run_id)

    async def main() -> tuple[DriveResult | None, int]:
        approved = 0
        result: DriveResult | None = None
        async with recorded_session(record, workdir) as session:
            with LiveView(console, run_id, session.goal, cycles=session.context.max_cycles) as view:
                while (pending := await pending_approval(session)) is not None:
                    action = pending.assessment.action
                    if not _matches(action.tool, tools):
                        break
                    console.print(
                        f"approving {pending.approval_id} {action.tool} {json.dumps(pending.assessment.effective_args)}"
                        f" (request {pending.request_hash})",
                        soft_wrap=True,
                        markup=False,
                    )
                    answer = ApprovalResponse(
                        choice=ApprovalChoice.APPROVE, request_hash=pending.request_hash, approver=approver, note=note
                    )
                    result = await drive(session, resume=answer, on_event=view.update)
                    approved += 1
            if result is None:
                pending = await pending_approval(session)
                result = DriveResult(status=DriveStatus.WAITING_APPROVAL, pending=pending) if pending else None
        return result, approved

    try:
        result, approved = anyio.run(main)
    except RunClosed as exc:
        raise fail(str(exc)) from None
    console.print(f"Approved {approved} action(s) of {run_id}.")
    if result is None:
        raise fail(f"run {run_id!r} has no pending approval")
    finish(result, workdir)


def _answer_server(approval_id: str, *, approve: bool, approver: str, note: str, workdir: Workdir) -> None:
    """A server approval (`srv-…`, any MCP client's call) is answered in its store; the caller then calls again."""
    try:
        answer_server_approval(approval_id, approve=approve, approver=approver, note=note, root=workdir.root)
    except ApprovalNotFound as exc:
        raise fail(f"{exc}; see `cadencia approvals list`") from None


@approvals_app.command("approve")
def approve(
    approval_id: Annotated[
        str | None, typer.Argument(help="RUN_ID/ACTION_ID as shown by `approvals list` (or --all --run RUN).")
    ] = None,
    edit: Annotated[
        str | None,
        typer.Option(
            help='JSON merge patch over the shown arguments, e.g. \'{"body": "…"}\' (null removes one); checked '
            "against the tool's input schema, then guarded again."
        ),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Approve the run's approvals one after another (with --run; see --tool).")
    ] = False,
    run: Annotated[str | None, typer.Option("--run", help="With --all: the run whose approvals to approve.")] = None,
    tool: Annotated[
        list[str] | None,
        typer.Option("--tool", help="With --all: only approvals of this tool (repeatable); stop at any other."),
    ] = None,
    approver: Annotated[str, typer.Option(help="Who approves (recorded in the audit log).")] = "cli",
    note: Annotated[str, typer.Option(help="Why.")] = "",
    workdir: WorkdirOption = None,
) -> None:
    """Approve (or edit) a pending action and resume its run, in this process.

    Each answer is bound to the SHA-256 of the exact request it approves. Exit codes: 0 the run finished, 2
    refused, 3 the run paused on its next approval.

    Examples: cadencia approvals approve run-1a2b3c/c0.4 --workdir ./lysa
              cadencia approvals approve run-1a2b3c/c0.4 --edit '{"body": "Sorry! 30-day returns."}'
              cadencia approvals approve --all --run run-1a2b3c --tool reviews_reply_to_review
    """
    where = Workdir.at(workdir)
    if all_:
        if run is None or approval_id is not None or edit is not None:
            raise fail("--all takes --run RUN_ID (and optionally --tool), not an approval id or --edit")
        _approve_all(run, tool or [], approver=approver, workdir=where, note=note)
        return
    if approval_id is None:
        raise fail("give RUN_ID/ACTION_ID, or --all --run RUN_ID")
    if run is not None or tool:
        raise fail("--run and --tool go with --all")
    if is_server_approval(approval_id):
        if edit is not None:
            raise fail("a server approval cannot be edited: reject it; the caller then asks with new arguments")
        _answer_server(approval_id, approve=True, approver=approver, note=note, workdir=where)
        return
    _answer_one(approval_id, ApprovalChoice.APPROVE, edit=edit, approver=approver, workdir=where, note=note)


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
    if is_server_approval(approval_id):
        _answer_server(approval_id, approve=False, approver=approver, note=note, workdir=Workdir.at(workdir))
        return
    _answer_one(
        approval_id, ApprovalChoice.REJECT, edit=None, approver=approver, workdir=Workdir.at(workdir), note=note
    )


def _decide_graph(approval_id: str, decision: JsonValue, *, workdir: Workdir) -> None:
    run_id = approval_id.split("/", 1)[0]
    record = _waiting(workdir, run_id)

    async def main() -> DriveResult | str:
        async with recorded_session(record, workdir) as session:
            pending = await pending_approval(session)
            if pending is None or pending.approval_id != approval_id:
                return f"{approval_id} is not waiting for an approval; see `cadencia approvals list`"
            try:
                resume_response(decision, pending)
            except HitlAnswerError as exc:
                return f"decision refused, nothing changed: {exc}"
            answer = {"decisions": decision} if isinstance(decision, list) else decision
            assert isinstance(answer, dict)
            with LiveView(console, run_id, session.goal, cycles=session.context.max_cycles) as view:
                return await drive(session, resume=answer, on_event=view.update)

    _resume_and_finish(main, workdir)


@approvals_app.command("decide")
def decide(
    approval_id: Annotated[str, typer.Argument(help="RUN_ID/ACTION_ID or srv-… as shown by `approvals list`.")],
    decision: Annotated[
        str,
        typer.Argument(
            help='A LangChain HITL decision as JSON: {"type": "approve"}, {"type": "reject", "message": "why"}, '
            '{"type": "edit", "edited_action": {"name": TOOL, "args": {…}}}, or {"decisions": [one of those]}.'
        ),
    ],
    workdir: WorkdirOption = None,
) -> None:
    """Answer with the decision LangGraph Studio, Agent Chat UI or Agent Inbox would send (the inbox sends it too).

    An edit carries the full edited arguments and is guarded again. A `cadencia` field may bind the decision to a
    request hash and name the approver: {"type": "approve", "cadencia": {"request_hash": "…", "approver": "ana"}}.

    Example: cadencia approvals decide run-1a2b3c/c0.4 '{"type": "reject", "message": "not during the launch"}'
    """
    where = Workdir.at(workdir)
    try:
        value = json.loads(decision)
    except json.JSONDecodeError as exc:
        raise fail(f"DECISION is not valid JSON: {exc}") from None
    if is_server_approval(approval_id):
        kind = value.get("type") if isinstance(value, dict) else None
        if kind not in ("approve", "reject"):
            raise fail('a server approval takes {"type": "approve"} or {"type": "reject", "message": "…"}')
        note = str(value.get("message") or "")
        _answer_server(approval_id, approve=kind == "approve", approver="cli", note=note, workdir=where)
        return
    _decide_graph(approval_id, value, workdir=where)


@approvals_app.command("notify")
def notify(
    policy: Annotated[Path, typer.Option(help="Server policy YAML with a `notifications` section.", dir_okay=False)],
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due and exit (for cron); else keep going.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds when not --once.", min=1)] = 15.0,
    db: Annotated[
        str | None, typer.Option(help="Approvals database (path or postgresql:// URL). Default: WORKDIR/approvals.db.")
    ] = None,
    workdir: WorkdirOption = None,
) -> None:
    """Tell people about approvals that wait or expired (webhooks, email), without running the inbox.

    `cadencia inbox --policy FILE` does the same in the background; each notice goes out once either way.

    Example: cadencia approvals notify --policy team-policy.yaml --once
    """
    from cadencia.tools.approvals import ApprovalStore
    from cadencia.tools.approvals.notify import Notifier
    from cadencia.tools.policy.policy import PolicyError
    from cadencia.tools.policy.server import load_server_policy

    try:
        settings = load_server_policy(policy).notifications
    except PolicyError as exc:
        raise fail(str(exc)) from None
    if not settings.enabled:
        raise fail(f"{policy} has no notifications (webhooks or email) to send")
    store = ApprovalStore.open(db or Workdir.at(workdir).approvals)
    try:
        notifier = Notifier(store, settings)
        while True:
            sent = notifier.drain_once()
            console.print(f"{sent} notice(s) sent")
            if once:
                return
            time.sleep(interval)
    finally:
        store.close()


@approvals_app.command("list")
def list_approvals(workdir: WorkdirOption = None) -> None:
    """Show every action waiting for a person, with its verdicts and the hash it is bound to.

    Example: cadencia approvals list --workdir ./lysa
    """
    where = Workdir.at(workdir)
    waiting = RunIndex(where.runs).list(status=RunStatus.WAITING_APPROVAL)
    at_servers = print_server_approvals(where.root)
    if not waiting:
        if not at_servers:
            console.print("No approvals pending.")
        return

    async def main() -> None:
        for record in waiting:
            async with recorded_session(record, where) as session:
                pending = await pending_approval(session)
                if pending is not None:
                    print_pending(console, pending, where)

    anyio.run(main)
