"""Drive a session: stream the graph, answer approvals in-process when an approver is given, else pause."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from langgraph.types import Command
from pydantic import BaseModel

from cadencia.agents.approvals import ApprovalRequest, ApprovalResponse
from cadencia.agents.goal import Goal
from cadencia.agents.hitl import approval_request_of
from cadencia.agents.runs import RunStatus
from cadencia.agents.session import AgentSession
from cadencia.agents.state import AgentState, RunReport
from cadencia.agents.tracing import agent_span
from cadencia.tools.audit import AuditKind

Approver = Callable[[ApprovalRequest], ApprovalResponse | None]
"""Answers an approval in-process (terminal prompt, demo policy, eval script); None leaves the run paused."""

EventSink = Callable[[str, dict[str, Any]], None]


class RunClosed(ValueError):
    """The run cannot go on here: finished, rolled back, or running in another process. Says which and why."""


class DriveStatus(StrEnum):
    DONE = "done"
    WAITING_APPROVAL = "waiting_approval"


class DriveResult(BaseModel):
    status: DriveStatus
    pending: ApprovalRequest | None = None
    report: RunReport | None = None


def fresh_state(run_id: str, goal: Goal) -> AgentState:
    """The state a run starts from (here and on the Agent Server)."""
    return {
        "run_id": run_id,
        "goal": goal,
        "cycle": 0,
        "queue": [],
        "current": None,
        "observation": None,
        "start_day": None,
        "kpi_start": None,
        "stop_reason": None,
        "report": None,
    }


def initial_state(session: AgentSession) -> AgentState:
    return fresh_state(session.run_id, session.goal)


async def pending_approval(session: AgentSession) -> ApprovalRequest | None:
    snapshot = await session.graph.aget_state(session.config)
    for interrupt in snapshot.interrupts:
        return approval_request_of(interrupt.value)
    return None


def check_open(session: AgentSession) -> None:
    """Refuse to drive a run that is closed (done, failed, rolled back) or running in another live process."""
    record = session.runs.get(session.run_id) or session.record
    if record.state.closed:
        raise RunClosed(
            f"run {record.run_id!r} is {record.state.value}: it is closed and cannot run again; "
            "start a new run (another --run-id)"
        )
    if record.busy:
        raise RunClosed(f"run {record.run_id!r} is running in process {record.owner}; wait for it or stop it first")


async def drive(
    session: AgentSession,
    *,
    start: bool = True,
    resume: ApprovalResponse | Mapping[str, Any] | None = None,
    approver: Approver | None = None,
    on_event: EventSink | None = None,
) -> DriveResult:
    """Run, resume or continue a run until its report or an approval nobody here can give.

    A run id that already has state is never restarted: a run paused on an approval stays paused (or is answered by
    `approver`), an interrupted run (its process died) continues from its last checkpoint, and a closed run raises
    `RunClosed`. The run index follows: `running` (owned by this process) while it runs, then `waiting_approval` or
    `done`; `interrupted` if this raises. Each step is checkpointed before the next starts (`durability="sync"`),
    so a process killed mid-cycle resumes where it stopped (a repeated call replays under its idempotency key).
    """
    check_open(session)
    payload: Any
    stream = True
    if resume is not None:
        # Our answer, or a LangChain HITL decision (`{"type": "approve"}`…): the approve node reads either.
        payload = Command(resume=resume.model_dump(mode="json") if isinstance(resume, ApprovalResponse) else resume)
    elif start and not (await session.graph.aget_state(session.config)).values:
        session.audit.append(
            run_id=session.run_id,
            actor="graph",
            kind=AuditKind.RUN,
            payload={"event": "start", "goal": session.goal.model_dump(mode="json")},
        )
        payload = initial_state(session)
    else:
        payload = None
        snapshot = await session.graph.aget_state(session.config)
        stream = not snapshot.interrupts and bool(snapshot.next)
        if not stream and not snapshot.interrupts and snapshot.values.get("report") is None:
            raise RunClosed(f"run {session.run_id!r} has no step left to run and no report; roll it back")
    session.runs.set_status(session.run_id, RunStatus.RUNNING)
    with agent_span(run_id=session.run_id, goal_id=session.goal.id, host="cadencia") as traced:
        try:
            result = await _drive(session, payload, stream=stream, approver=approver, on_event=on_event)
        except BaseException:
            session.runs.set_status(session.run_id, RunStatus.INTERRUPTED)
            raise
        traced.set("cadencia.outcome", result.status.value)
        traced.set("cadencia.approval.id", result.pending.approval_id if result.pending else None)
    session.runs.set_status(
        session.run_id, RunStatus.WAITING_APPROVAL if result.status is DriveStatus.WAITING_APPROVAL else RunStatus.DONE
    )
    return result


async def _drive(
    session: AgentSession, payload: Any, *, stream: bool, approver: Approver | None, on_event: EventSink | None
) -> DriveResult:
    while True:
        if stream:
            async for update in session.graph.astream(
                payload, session.config, context=session.context, stream_mode="updates", durability="sync"
            ):
                if on_event is not None:
                    for node, values in update.items():
                        on_event(node, values if isinstance(values, dict) else {})
        stream = True
        pending = await pending_approval(session)
        if pending is None:
            snapshot = await session.graph.aget_state(session.config)
            return DriveResult(status=DriveStatus.DONE, report=snapshot.values.get("report"))
        answer = approver(pending) if approver is not None else None
        if answer is None:
            return DriveResult(status=DriveStatus.WAITING_APPROVAL, pending=pending)
        payload = Command(resume=answer.model_dump(mode="json"))
