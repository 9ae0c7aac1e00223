"""approve: pause for a person (LangGraph interrupt) and apply their answer to the exact request shown.

On resume this node runs again from the top. The only write before `interrupt()` is the gate's idempotent ask in
the durable approval store, which is what keeps the deadline the one fixed at the first ask.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from cadencia.agents.approvals import ApprovalStatus, edited_action
from cadencia.agents.context import RunContext
from cadencia.agents.hitl import hitl_request, resume_response
from cadencia.agents.state import AgentState, Rejection


async def approve(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    gate = runtime.context.gate
    assessment = state.get("current")
    assert assessment is not None, "approve runs only with an assessment that requires approval"
    request = gate.request_approval(assessment)
    response = resume_response(interrupt(hitl_request(request)), request)
    outcome = gate.record_answer(request, response)
    update: AgentState = {"approvals": [outcome]}
    if outcome.status is ApprovalStatus.APPROVED:
        return update
    update["current"] = None
    action = assessment.action
    if outcome.status is ApprovalStatus.EDITED and response.edited_args is not None:
        update["queue"] = [edited_action(action, response), *state.get("queue", [])]
        return update
    update["rejections"] = [
        Rejection(
            action_id=action.id,
            tool=action.tool,
            entities=action.entities,
            reason=outcome.note or outcome.status.value,
            by=f"approval:{outcome.status}",
        )
    ]
    return update
