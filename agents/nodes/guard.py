"""guard: take the next proposed action through the choke point's policy and reversibility checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from langgraph.runtime import Runtime

from cadencia.agents.actions import Decision
from cadencia.agents.approvals import ApprovalRequest
from cadencia.agents.context import RunContext
from cadencia.agents.state import AgentState, Rejection


async def guard(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    ctx = runtime.context
    queue = list(state.get("queue", []))
    action = queue.pop(0)
    executed = state.get("executed", [])
    assessment = await ctx.gate.assess(
        action, executed=executed, llm_calls=state.get("llm_calls", 0), llm_tokens=state.get("llm_tokens", 0)
    )
    update: AgentState = {"queue": queue, "current": assessment, "pending": None}
    if assessment.decision is Decision.DENY:
        fired = [v for v in assessment.verdicts if v.decision is Decision.DENY]
        reason = "; ".join(f"{v.rule}: {v.reason}" for v in fired) or "denied"
        update["rejections"] = [
            Rejection(
                action_id=action.id,
                tool=action.tool,
                entities=action.entities,
                reason=reason,
                by=fired[0].rule if fired else "policy",
            )
        ]
        update["current"] = None
    elif assessment.decision is Decision.REQUIRE_APPROVAL:
        # Timestamps are fixed here, before the approve node, because that node re-runs on resume.
        now = datetime.now(UTC)
        hours = state["goal"].autonomy.approval_timeout_hours
        update["pending"] = ApprovalRequest(
            approval_id=f"{state['run_id']}/{action.id}",
            run_id=state["run_id"],
            assessment=assessment,
            requested_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    return update
