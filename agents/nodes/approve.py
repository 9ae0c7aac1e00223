"""approve: pause for a person (LangGraph interrupt) and apply their answer to the exact request shown.

Nothing with a side effect happens before `interrupt()`: on resume this node runs again from the top.
"""

from __future__ import annotations

from datetime import UTC, datetime

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from cadencia.agents.actions import ProposedAction
from cadencia.agents.approvals import ApprovalOutcome, ApprovalResponse, ApprovalStatus, approval_status
from cadencia.agents.context import RunContext
from cadencia.agents.state import AgentState, Rejection
from cadencia.tools.audit import AuditKind


async def approve(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    pending = state.get("pending")
    assert pending is not None, "approve runs only with a pending request"
    answer = interrupt(pending.model_dump(mode="json"))
    response = ApprovalResponse.model_validate(answer)
    answered_at = response.answered_at or datetime.now(UTC)
    status = approval_status(response, pending.request_hash, expired=answered_at > pending.expires_at)
    outcome = ApprovalOutcome(
        approval_id=pending.approval_id,
        request_hash=pending.request_hash,
        status=status,
        approver=response.approver,
        note=response.note,
    )
    runtime.context.gate.record(
        AuditKind.APPROVAL,
        outcome.model_dump(mode="json") | {"answered_at": answered_at.isoformat()},
        actor=f"human:{response.approver}",
    )
    action = pending.assessment.action
    update: AgentState = {"approvals": [outcome], "pending": None}
    if status is ApprovalStatus.APPROVED:
        return update
    update["current"] = None
    if status is ApprovalStatus.EDITED and response.edited_args is not None:
        edited = ProposedAction(
            id=f"{action.id}e",
            tool=action.tool,
            args=response.edited_args,
            rationale=f"{action.rationale} (edited by {response.approver})",
            expected_effect=action.expected_effect,
            entities=action.entities,
            source=f"human:{response.approver}",
        )
        update["queue"] = [edited, *state.get("queue", [])]
        return update
    update["rejections"] = [
        Rejection(
            action_id=action.id,
            tool=action.tool,
            entities=action.entities,
            reason=response.note or status.value,
            by=f"approval:{status}",
        )
    ]
    return update
