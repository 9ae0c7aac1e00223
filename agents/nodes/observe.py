"""observe: collect this cycle's signals through MCP reads and note the KPI; the third-party text those reads
carried goes into checkpointed state, where the guard reads it."""

from __future__ import annotations

from langgraph.runtime import Runtime

from cadencia.agents.context import RunContext
from cadencia.agents.observe import collect_observation
from cadencia.agents.state import AgentState
from cadencia.agents.taint import TaintCollector
from cadencia.tools.audit import AuditKind


async def observe(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    ctx = runtime.context
    goal = state["goal"]
    start = state.get("start_day")
    seen = TaintCollector(cycle=state.get("cycle", 0))
    observation = await collect_observation(ctx.toolbox, goal, since=start, witness=seen)
    ctx.gate.record(
        AuditKind.OBSERVATION,
        {
            "cycle": state.get("cycle", 0),
            "day": observation.day.isoformat() if observation.day else None,
            "kpi": goal.kpi.metric.value,
            "kpi_value": observation.kpi_value,
            "stock_at_risk": [s.sku for s in observation.stock if s.should_reorder][:20],
            "campaigns": len(observation.campaigns),
            "negative_reviews": len(observation.negative_reviews),
            "segments": len(observation.segments),
        },
    )
    update: AgentState = {
        "observation": observation,
        "tool_calls": observation.tool_calls,
        "executed_at_cycle_start": len(state.get("executed", [])),
    }
    if seen.entries:
        update["untrusted"] = seen.entries
    if start is None and observation.day is not None:
        update["start_day"] = observation.day
    if state.get("kpi_start") is None:
        update["kpi_start"] = observation.kpi_value
    return update
