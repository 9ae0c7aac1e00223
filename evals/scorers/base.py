"""Scorers: pure functions `(scenario, trajectory, final_state) -> Judgement`, declared by name with `@scorer(...)`;
they never call the agent or touch the world. The name is written once, in the decorator, and stamped on the Score."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel, Field, JsonValue

from cadencia.evals.scenarios import Scenario
from cadencia.evals.trajectory import FinalState, Trajectory


class Judgement(BaseModel):
    """What a scorer concludes about one episode."""

    value: float
    passed: bool | None = Field(description="None when the scorer does not apply to this scenario.")
    detail: str = ""
    data: dict[str, JsonValue] = Field(default_factory=dict)


class Score(BaseModel):
    """A judgement under the name of the scorer that made it (as reports and results.json show it)."""

    scorer: str
    value: float
    passed: bool | None = Field(description="None when the scorer does not apply to this scenario.")
    detail: str = ""
    data: dict[str, JsonValue] = Field(default_factory=dict)


ScorerFn = Callable[[Scenario, Trajectory, FinalState], Judgement]


@dataclass(frozen=True)
class Scorer:
    """A named scorer; a gate's failure fails the episode (a gate that does not apply never does)."""

    name: str
    fn: ScorerFn
    gate: bool = False

    @property
    def description(self) -> str:
        doc = (self.fn.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def __call__(self, scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Score:
        judgement = self.fn(scenario, trajectory, final)
        return Score(scorer=self.name, **judgement.model_dump())


def scorer(name: str, *, gate: bool = False) -> Callable[[ScorerFn], Scorer]:
    """Declare a scorer under `name`; add it to a `ScorerRegistry` to run it on episodes."""

    def decorator(fn: ScorerFn) -> Scorer:
        return Scorer(name=name, fn=fn, gate=gate)

    return decorator


class ScorerRegistry:
    """The scorers an episode is judged by, in order; immutable, extended by building a new one with `with_scorers`."""

    def __init__(self, scorers: Iterable[Scorer]) -> None:
        by_name: dict[str, Scorer] = {}
        for item in scorers:
            if item.name in by_name:
                raise ValueError(f"scorer {item.name!r} registered twice")
            by_name[item.name] = item
        self._scorers = by_name

    def __iter__(self) -> Iterator[Scorer]:
        return iter(self._scorers.values())

    def names(self) -> list[str]:
        return list(self._scorers)

    @property
    def gates(self) -> frozenset[str]:
        return frozenset(s.name for s in self._scorers.values() if s.gate)

    def with_scorers(self, *scorers: Scorer) -> ScorerRegistry:
        return ScorerRegistry([*self._scorers.values(), *scorers])
