"""verify: read back what this cycle changed and compare it with what the servers reported; then let the world
move on (a simulated day) and decide whether to go round again."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from cadencia.agents.actions import ExecutedAction
from cadencia.agents.context import RunContext
from cadencia.agents.effects import base_name
from cadencia.agents.state import AgentState
from cadencia.agents.toolbox import Toolbox
from cadencia.tools.audit import AuditKind

READ_BACK: dict[str, tuple[str, str, str]] = {
    # mutating tool: (read tool, id argument, field compared with the same field in the write's result)
    "set_price": ("inventory_get_product", "sku", "price_minor"),
    "set_budget": ("ads_get_campaign", "campaign_id", "daily_budget_minor"),
}


async def _read_back(toolbox: Toolbox, executed: ExecutedAction) -> dict[str, Any] | None:
    spec = READ_BACK.get(base_name(executed.tool))
    if spec is None or not executed.ok or not isinstance(executed.result, dict):
        return None
    read_tool, id_arg, field = spec
    outcome = await toolbox.call(read_tool, {id_arg: executed.args[id_arg]})
    seen = outcome.structured.get(field) if outcome.ok and isinstance(outcome.structured, dict) else None
    expected = executed.result.get(field)
    return {"action_id": executed.action_id, "field": field, "expected": expected, "seen": seen, "ok": seen == expected}


def _goal_met(state: AgentState) -> bool:
    observation = state.get("observation")
    if observation is None or observation.kpi_value is None:
        return False
    return observation.kpi_value >= state["goal"].kpi.target


async def verify(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    ctx = runtime.context
    executed = state.get("executed", [])
    this_cycle = executed[state.get("executed_at_cycle_start", 0) :]
    checks = [c for c in [await _read_back(ctx.toolbox, e) for e in this_cycle] if c is not None]
    ctx.gate.record(
        AuditKind.OBSERVATION,
        {"cycle": state.get("cycle", 0), "verified": checks, "executed": len(this_cycle)},
    )
    # The world moves on after every cycle (a simulated day), so a horizon of N cycles simulates N days.
    if ctx.advance is not None:
        await ctx.advance()
    cycle = state.get("cycle", 0) + 1
    goal = state["goal"]
    llm_calls = state.get("llm_calls", 0)
    stop: str | None = None
    if _goal_met(state):
        stop = "goal_met"
    elif cycle >= ctx.max_cycles:
        stop = "horizon"
    elif state.get("tool_calls", 0) >= goal.autonomy.max_tool_calls or llm_calls >= goal.autonomy.max_llm_calls:
        stop = "compute_budget"
    elif ctx.advance is None and ctx.stop_when_idle and not this_cycle:
        stop = "idle"
    return {"cycle": cycle, "stop_reason": stop, "tool_calls": len(checks)}
