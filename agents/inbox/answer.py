"""Answering from the inbox: a server approval in its store, a graph approval by resuming its run in this process
with a standard decision (the same answer Studio or Agent Inbox would send), so an edit is guarded again by the
run's own guardrail policy and can be refused there."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cadencia.agents.approvals import ApprovalRequest, ApprovalStatus
from cadencia.agents.cli_common import recorded_session
from cadencia.agents.driver import RunClosed, drive, pending_approval
from cadencia.agents.edits import EditError, apply_edit
from cadencia.agents.hitl import EXTENSION, HitlAnswerError, resume_response
from cadencia.agents.runs import RunIndex, RunStatus
from cadencia.agents.session import AgentSession
from cadencia.agents.workdir import Workdir
from cadencia.tools.approvals import ApprovalRecord, ApprovalState, ApprovalStore

DECISIONS = ("approve", "edit", "reject")


class InboxRefusal(ValueError):
    """An answer the inbox will not send (nothing changed): says why, naming the field."""


@dataclass(frozen=True)
class Outcome:
    """What happened, in one sentence for the person who answered; `refused` when their edit was refused."""

    message: str
    refused: bool = False


def parse_edit(text: str) -> dict[str, Any]:
    """The edited arguments from the form's JSON text (a JSON object, or a refusal naming the field)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InboxRefusal(f"arguments: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(value, dict):
        raise InboxRefusal("arguments: must be a JSON object of the tool's arguments")
    return value


def answer_server(store: ApprovalStore, record: ApprovalRecord, *, decision: str, subject: str, note: str) -> Outcome:
    """Approve or reject a server approval; a caller never answers its own request, and it cannot be edited."""
    if decision not in ("approve", "reject"):
        raise InboxRefusal("decision: a server approval is approved or rejected; the caller asks again to change it")
    if record.subject == subject:
        raise InboxRefusal(f"{subject} asked for {record.approval_id} and cannot approve its own call")
    state = ApprovalState.APPROVED if decision == "approve" else ApprovalState.REJECTED
    answer = store.answer(
        record.approval_id,
        record.request_hash,
        state=state,
        approver=f"inbox:{subject}",
        note=note,
        at=datetime.now(UTC),
    )
    stored = answer.record
    if not answer.recorded:
        return Outcome(f"{record.approval_id} was already {stored.state.value}; nothing changed")
    if stored.state is ApprovalState.EXPIRED:
        return Outcome(f"{record.approval_id} had expired; recorded as expired")
    if stored.state is ApprovalState.APPROVED:
        return Outcome(f"Approved {record.approval_id}: the caller may run {stored.tool} once with it")
    return Outcome(f"Rejected {record.approval_id}")


def _first(group: BaseExceptionGroup[Any]) -> BaseException:
    inner = group.exceptions[0]
    return _first(inner) if isinstance(inner, BaseExceptionGroup) else inner


def _prepared(
    session: AgentSession,
    pending: ApprovalRequest | None,
    approval_id: str,
    decision: str,
    request_hash: str,
    approver: str,
    note: str,
    edited_text: str | None,
) -> dict[str, Any] | InboxRefusal:
    """The standard decision to resume with, or why none is sent (nothing changes then)."""
    if pending is None or pending.approval_id != approval_id:
        return InboxRefusal(f"{approval_id} is no longer waiting; reload the inbox")
    standard: dict[str, Any] = {
        "type": decision,
        EXTENSION: {"request_hash": request_hash, "approver": approver, "note": note},
    }
    action = pending.assessment.action
    if decision == "edit":
        try:
            edited = parse_edit(edited_text or "")
        except InboxRefusal as exc:
            return exc
        tool = session.toolbox.tools.get(action.tool)
        schema = tool.args_schema if tool is not None and isinstance(tool.args_schema, dict) else None
        removed = {k: None for k in pending.assessment.effective_args if k not in edited}
        try:
            args = apply_edit(pending.assessment.effective_args, {**edited, **removed}, schema)
        except EditError as exc:
            return InboxRefusal(f"arguments: {exc}")
        standard["edited_action"] = {"name": action.tool, "args": args}
    try:
        resume_response(standard, pending)
    except HitlAnswerError as exc:
        return InboxRefusal(str(exc))
    return standard


async def answer_graph(
    workdir: Workdir,
    approval_id: str,
    *,
    decision: str,
    request_hash: str,
    subject: str,
    note: str,
    edited_text: str | None = None,
) -> Outcome:
    """Resume the paused run with the person's decision (bound to the hash they were shown) and say what followed."""
    if decision not in DECISIONS:
        raise InboxRefusal(f"decision: must be one of {', '.join(DECISIONS)}")
    run_id = approval_id.split("/", 1)[0]
    record = RunIndex(workdir.runs).get(run_id)
    if record is None or record.state is not RunStatus.WAITING_APPROVAL:
        state = "unknown" if record is None else record.state.value
        raise InboxRefusal(f"run {run_id!r} is {state}: nothing in it waits for an approval")
    approver = f"inbox:{subject}"
    try:
        async with recorded_session(record, workdir) as session:
            pending = await pending_approval(session)
            # Refusals leave the session as values: raised inside it they would surface wrapped in a task group.
            prepared = _prepared(session, pending, approval_id, decision, request_hash, approver, note, edited_text)
            if isinstance(prepared, InboxRefusal):
                refusal: InboxRefusal | None = prepared
            else:
                refusal = None
                result = await drive(session, resume=prepared)
                values = (await session.graph.aget_state(session.config)).values
    except RunClosed as exc:
        raise InboxRefusal(str(exc)) from None
    except BaseExceptionGroup as group:  # raised inside the session, it comes out of the MCP client's task group
        closed = group.subgroup(RunClosed)
        if closed is None:
            raise
        raise InboxRefusal(str(_first(closed))) from None
    if refusal is not None:
        raise refusal
    assert pending is not None
    action = pending.assessment.action
    outcome = next((o for o in reversed(values.get("approvals", [])) if o.approval_id == approval_id), None)
    if outcome is None:
        return Outcome(f"{approval_id}: the run resumed; see its timeline")
    follows = "the run finished" if result.pending is None else f"the run now waits on {result.pending.approval_id}"
    if outcome.status is ApprovalStatus.EDITED:
        edited_id = f"{action.id}e"
        refused = [r for r in values.get("rejections", []) if r.action_id == edited_id]
        if refused:
            return Outcome(
                f"Your edit of {approval_id} was guarded again and refused ({refused[0].by}: {refused[0].reason});"
                f" nothing ran. {follows.capitalize()}.",
                refused=True,
            )
        ran = any(e.action_id == edited_id and e.ok for e in values.get("executed", []))
        if ran:
            return Outcome(f"Your edit of {approval_id} passed the guardrails and ran; {follows}.")
        return Outcome(f"Your edit of {approval_id} was guarded again; {follows}.")
    if outcome.status is ApprovalStatus.MISMATCH:
        return Outcome(f"{approval_id} changed since you opened it (another request hash): not approved", refused=True)
    return Outcome(f"{approval_id} {outcome.status.value}; {follows}.")
