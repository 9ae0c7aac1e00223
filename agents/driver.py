"""Drive a session: stream the graph, answer approvals in-process when an approver is given, else pause."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from langgraph.types import Command
from pydantic import BaseModel

from cadencia.agents.approvals import ApprovalRequest, ApprovalResponse
from cadencia.agents.session import AgentSession
from cadencia.agents.state import AgentState, RunReport
from cadencia.tools.audit import AuditKind

Approver = Callable[[ApprovalRequest], ApprovalResponse | None]
"""Answers an approval in-process (terminal prompt, demo policy, eval script); None leaves the run paused."""

EventSink = Callable[[str, dict[str, Any]], None]


class DriveStatus(StrEnum):
    DONE = "done"
    WAITING_APPROVAL = "waiting_approval"


class DriveResult(BaseModel):
    status: DriveStatus
    pending: ApprovalRequest | None = None
    report: RunReport | None = None


def initial_state(session: AgentSession) -> AgentState:
    return {
        "run_id": session.run_id,
        "goal": session.goal,
        "cycle": 0,
        "queue": [],
        "current": None,
        "observation": None,
        "start_day": None,
        "kpi_start": None,
        "stop_reason": None,
        "report": None,
    }


async def pending_approval(session: AgentSession) -> ApprovalRequest | None:
    snapshot = await session.graph.aget_state(session.config)
    for interrupt in snapshot.interrupts:
        return ApprovalRequest.model_validate(interrupt.value)
    return None


async def drive(
    session: AgentSession,
    *,
    start: bool = True,
    resume: ApprovalResponse | None = None,
    approver: Approver | None = None,
    on_event: EventSink | None = None,
) -> DriveResult:
    """Run (or resume) until the report or an approval nobody here can give."""
    payload: Any
    if resume is not None:
        payload = Command(resume=resume.model_dump(mode="json"))
    elif start:
        session.audit.append(
            run_id=session.run_id,
            actor="graph",
            kind=AuditKind.RUN,
            payload={"event": "start", "goal": session.goal.model_dump(mode="json")},
        )
        payload = initial_state(session)
    else:
        payload = None
    while True:
        async for update in session.graph.astream(
            payload, session.config, context=session.context, stream_mode="updates"
        ):
            if on_event is not None:
                for node, values in update.items():
                    on_event(node, values if isinstance(values, dict) else {})
        pending = await pending_approval(session)
        if pending is None:
            snapshot = await session.graph.aget_state(session.config)
            return DriveResult(status=DriveStatus.DONE, report=snapshot.values.get("report"))
        answer = approver(pending) if approver is not None else None
        if answer is None:
            return DriveResult(status=DriveStatus.WAITING_APPROVAL, pending=pending)
        payload = Command(resume=answer.model_dump(mode="json"))
