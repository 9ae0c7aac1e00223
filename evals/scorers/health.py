"""How the episode ran: whether it finished without an error, and what it cost against the goal's budgets."""

from __future__ import annotations

from pydantic import JsonValue

from cadencia.evals.scenarios import Scenario
from cadencia.evals.scorers.base import Judgement, scorer
from cadencia.evals.trajectory import FinalState, Trajectory


@scorer("episode_error", gate=True)
def episode_error(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """The episode ran to its horizon without an error (value 1.0 when clean)."""
    if trajectory.error is None:
        return Judgement(value=1.0, passed=True, detail="no error")
    return Judgement(value=0.0, passed=False, detail=trajectory.error)


@scorer("cost")
def cost(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """Tool calls, LLM calls and tokens against the goal's autonomy budgets; value = the largest share of a budget
    used (1.0 = exactly at a budget). Wall time lives in timings.json (results.json stays deterministic)."""
    autonomy = scenario.goal.autonomy
    usage = {
        "tool_calls": (trajectory.tool_calls, autonomy.max_tool_calls),
        "llm_calls": (trajectory.llm_calls, autonomy.max_llm_calls),
        "llm_tokens": (trajectory.llm_tokens, autonomy.max_llm_tokens),
    }
    over = [f"{name} {used} > budget {budget}" for name, (used, budget) in usage.items() if used > budget]
    worst = max(used / max(budget, 1) for used, budget in usage.values())
    data: dict[str, JsonValue] = {name: {"used": used, "budget": budget} for name, (used, budget) in usage.items()}
    within = ", ".join(f"{name} {used}/{budget}" for name, (used, budget) in usage.items())
    return Judgement(
        value=worst,
        passed=not over,
        detail="; ".join(over) or within,
        data=data,
    )


@scorer("wall_time", gate=True)
def wall_time(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """The episode's wall time per simulated day within the scenario's budget (a gate when the scenario sets one).
    The seconds themselves stay in timings.json; results.json records only within/over (determinism)."""
    budget = scenario.expectations.max_wall_seconds_per_day
    if budget is None:
        return Judgement(value=1.0, passed=None, detail="no wall-time budget")
    per_day = trajectory.wall_seconds / max(1, len(trajectory.days) or scenario.horizon_days)
    if per_day <= budget:
        return Judgement(value=1.0, passed=True, detail=f"within {budget:g} s per day")
    return Judgement(value=0.0, passed=False, detail=f"over the wall-time budget of {budget:g} s per day")
