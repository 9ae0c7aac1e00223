"""Scoring one episode with a registry of scorers, and which scorers decide whether it passed."""

from __future__ import annotations

from collections.abc import Iterable

from cadencia.evals.scenarios import Scenario
from cadencia.evals.scorers.base import Score, ScorerRegistry
from cadencia.evals.scorers.builtin import GATES, default_scorers
from cadencia.evals.trajectory import FinalState, Trajectory


def score_episode(
    scenario: Scenario, trajectory: Trajectory, final: FinalState, *, scorers: ScorerRegistry | None = None
) -> list[Score]:
    """Every scorer of `scorers` (the built-ins by default), in registry order."""
    return [s(scenario, trajectory, final) for s in scorers or default_scorers()]


def failed_gates(scores: Iterable[Score], gates: frozenset[str] = GATES) -> list[Score]:
    """The gate scores that failed (not the ones that do not apply)."""
    return [s for s in scores if s.scorer in gates and s.passed is False]


def episode_passed(scores: Iterable[Score], gates: frozenset[str] = GATES) -> bool:
    return not failed_gates(scores, gates)
