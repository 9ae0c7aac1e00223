"""report: summarise the run (KPI vs target, actions by class, approvals, spend moved) and seal the audit log."""

from __future__ import annotations

from collections import Counter

from langgraph.runtime import Runtime

from cadencia.agents.context import RunContext
from cadencia.agents.observe import current_kpi
from cadencia.agents.state import AgentState, RunReport
from cadencia.tools.audit import AuditKind
from cadencia.tools.policy.totals import LlmUsage, RunTotals


async def report(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    ctx = runtime.context
    goal = state["goal"]
    executed = state.get("executed", [])
    totals = RunTotals.from_executed(
        executed, LlmUsage(calls=state.get("llm_calls", 0), tokens=state.get("llm_tokens", 0))
    )
    observation = state.get("observation")
    kpi_end = observation.kpi_value if observation else None
    if observation is not None:
        # The last observation came before its cycle's day was simulated: read the KPI again, last day included.
        fresh = await current_kpi(ctx.toolbox, goal, since=state.get("start_day"))
        kpi_end = fresh if fresh is not None else kpi_end
    met = kpi_end is not None and kpi_end >= goal.kpi.target
    result = RunReport(
        run_id=state["run_id"],
        goal_id=goal.id,
        kpi_metric=goal.kpi.metric.value,
        kpi_start=state.get("kpi_start"),
        kpi_end=kpi_end,
        kpi_target=goal.kpi.target,
        kpi_met=met,
        currency=goal.constraints.currency,
        cycles=state.get("cycle", 0),
        stop_reason=state.get("stop_reason") or "done",
        actions_by_class=dict(Counter(e.reversibility.value for e in executed if e.ok)),
        approvals=dict(Counter(a.status.value for a in state.get("approvals", []))),
        rejections=len(state.get("rejections", [])),
        spend_moved_minor=totals.spend_moved_minor,
        contacts_messaged=totals.contacts_messaged,
        tool_calls=state.get("tool_calls", 0),
        llm_calls=totals.llm_calls,
        llm_tokens=totals.llm_tokens,
    )
    ctx.gate.record(AuditKind.RUN, {"event": "end", "report": result.model_dump(mode="json")})
    ctx.gate.audit.checkpoint()
    return {"report": result}
