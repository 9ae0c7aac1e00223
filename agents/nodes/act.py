"""act: execute the allowed or approved action through the choke point, with its idempotency key.

When a server's own policy answers that the call needs a person, the action goes back to `approve` (not failed)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from cadencia.agents.approvals import ApprovalStatus, approval_id
from cadencia.agents.context import RunContext
from cadencia.agents.state import AgentState
from cadencia.agents.taint import TaintCollector
from cadencia.servers.safety.errors import server_asked


async def act(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    assessment = state.get("current")
    assert assessment is not None, "act runs with a current assessment"
    asked = approval_id(state["run_id"], assessment.action.id)
    approvals = [
        a
        for a in state.get("approvals", [])
        if a.approval_id == asked and a.request_hash == assessment.request_hash and a.status is ApprovalStatus.APPROVED
    ]
    approved_by = approvals[-1].approver if approvals else None
    seen = TaintCollector(cycle=state.get("cycle", 0))
    gate = runtime.context.gate
    executed = await gate.execute(assessment, approved_by=approved_by, witness=seen)
    asked = None if executed.ok or approved_by is not None else server_asked(executed.error or "")
    if asked is not None:
        # The run's goal allowed it but the server's policy wants a person: ask them here, once, then run it with
        # this run's approval id (which the server accepts), instead of failing the action.
        return {"current": gate.server_requires_approval(assessment, asked.why), "tool_calls": 1}
    update: AgentState = {"executed": [executed], "current": None, "tool_calls": 1}
    if seen.entries:
        update["untrusted"] = seen.entries
    return update
