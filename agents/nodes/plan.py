"""plan: ask the planner for actions toward the goal, given the latest observation (then kept as its headline
figures only, so the cycle's guard and act checkpoints do not carry the signal lists)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from cadencia.agents.context import RunContext
from cadencia.agents.planners.base import PlanningInput, rejection_key
from cadencia.agents.state import AgentState
from cadencia.agents.taint import entries_in_view
from cadencia.tools.audit import AuditKind


async def plan(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    ctx = runtime.context
    observation = state.get("observation")
    assert observation is not None, "plan runs after observe"
    cycle = state.get("cycle", 0)
    request = PlanningInput(
        goal=state["goal"],
        observation=observation,
        cycle=cycle,
        executed=state.get("executed", []),
        rejected_requests=[rejection_key(r.tool, r.entities) for r in state.get("rejections", [])],
        untrusted=entries_in_view(state.get("untrusted", []), cycle=cycle),
    )
    result = await ctx.planner.plan(request, ctx.toolbox)
    # Ids are assigned here so they are unique in the run whatever the planner chose.
    actions = [a.model_copy(update={"id": f"c{cycle}.{i}"}) for i, a in enumerate(result.actions, start=1)]
    ctx.gate.record(
        AuditKind.OBSERVATION,
        {"cycle": cycle, "planner": ctx.planner.name, "proposed": [a.tool for a in actions], "note": result.note},
        actor=f"planner:{ctx.planner.name}",
    )
    return {
        "queue": actions,
        "observation": observation.headline(),
        "llm_calls": result.llm_calls,
        "llm_tokens": result.llm_tokens,
    }
