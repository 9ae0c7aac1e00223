"""verify: read back what this cycle changed and compare it with what the servers reported; then let the world
move on (a simulated day) and decide whether to go round again."""

from __future__ import annotations

from langgraph.runtime import Runtime
from pydantic import JsonValue

from cadencia.agents.actions import ExecutedAction
from cadencia.agents.context import RunContext
from cadencia.agents.results import View, parse_result
from cadencia.agents.state import AgentState
from cadencia.agents.toolbox import Toolbox
from cadencia.tools.audit import AuditKind
from cadencia.tools.names import Ads, Inventory


class _Price(View):
    price_minor: int


class _Budget(View):
    daily_budget_minor: int


READ_BACK: dict[str, tuple[str, str, type[View]]] = {
    # mutating tool: (read tool, id argument, the view both the write's result and the read-back are compared in)
    Inventory.SET_PRICE: (Inventory.GET_PRODUCT, "sku", _Price),
    Ads.SET_BUDGET: (Ads.GET_CAMPAIGN, "campaign_id", _Budget),
}


async def _read_back(toolbox: Toolbox, executed: ExecutedAction) -> dict[str, JsonValue] | None:
    spec = READ_BACK.get(executed.tool)
    if spec is None or not executed.ok or not isinstance(executed.result, dict):
        return None
    read_tool, id_arg, view = spec
    expected = parse_result(executed.tool, executed.result, view)
    seen = await toolbox.read_as(read_tool, {id_arg: executed.args[id_arg]}, view)
    (field,) = view.model_fields
    return {
        "action_id": executed.action_id,
        "field": field,
        "expected": getattr(expected, field),
        "seen": getattr(seen, field) if seen else None,
        "ok": seen == expected,
    }


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
