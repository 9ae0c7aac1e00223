"""guard: take the next proposed action through the choke point's policy and reversibility checks.

The untrusted text it weighs comes from checkpointed state (what this cycle's reads and results carried).
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from cadencia.agents.actions import Decision
from cadencia.agents.context import RunContext
from cadencia.agents.state import AgentState, Rejection
from cadencia.agents.taint import in_view


async def guard(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    ctx = runtime.context
    queue = list(state.get("queue", []))
    action = queue.pop(0)
    assessment = await ctx.gate.assess(
        action,
        executed=state.get("executed", []),
        untrusted=in_view(state.get("untrusted", []), cycle=state.get("cycle", 0)),
        llm_calls=state.get("llm_calls", 0),
        llm_tokens=state.get("llm_tokens", 0),
    )
    update: AgentState = {"queue": queue, "current": assessment}
    if assessment.decision is Decision.DENY:
        fired = [v for v in assessment.verdicts if v.decision is Decision.DENY]
        update["rejections"] = [
            Rejection(
                action_id=action.id,
                tool=action.tool,
                entities=action.entities,
                reason=assessment.denial,
                by=fired[0].rule if fired else "policy",
            )
        ]
        update["current"] = None
    return update
