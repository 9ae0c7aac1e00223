"""Scorers: pure functions `(scenario, trajectory, final_state) -> Score`, registered by name; they never call the
agent or touch the world."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field, JsonValue

from cadencia.evals.scenarios import Scenario
from cadencia.evals.trajectory import FinalState, Trajectory


class Score(BaseModel):
    scorer: str
    value: float
    passed: bool | None = Field(description="None when the scorer does not apply to this scenario.")
    detail: str = ""
    data: dict[str, JsonValue] = Field(default_factory=dict)


ScorerFn = Callable[[Scenario, Trajectory, FinalState], Score]
SCORERS: dict[str, ScorerFn] = {}


def scorer(name: str) -> Callable[[ScorerFn], ScorerFn]:
    """Register a scorer under `name` (the name appears in reports and in `Score.scorer`)."""

    def register(fn: ScorerFn) -> ScorerFn:
        if name in SCORERS:
            raise ValueError(f"scorer {name!r} registered twice")
        SCORERS[name] = fn
        return fn

    return register
