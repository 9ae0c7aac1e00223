"""What an eval run produced: every episode's scores, trajectory and final state, plus the suite's summary."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from cadencia.evals.metrics import SuiteSummary, summarize
from cadencia.evals.scorers import Score
from cadencia.evals.trajectory import FinalState, Trajectory


class EpisodeResult(BaseModel):
    """One scenario × trial: whether its gates held, every score, and the evidence they were computed from."""

    scenario_id: str
    trial: int
    passed: bool
    scores: list[Score]
    trajectory: Trajectory
    final: FinalState


class EvalRun(BaseModel):
    """A suite run with one planner; `summary` is filled when the run is written (see `evals.metrics.summarize`)."""

    suite: str
    suite_version: str
    planner: str
    seed: int
    trials: int = Field(ge=1)
    started: datetime | None = Field(None, exclude=True, description="Timing: kept out of results.json.")
    finished: datetime | None = Field(None, exclude=True)
    episodes: list[EpisodeResult] = Field(default_factory=list)
    summary: SuiteSummary | None = None

    def computed_summary(self) -> SuiteSummary:
        """The stored summary, or one computed from the episodes."""
        return self.summary or summarize(self.episodes)
