"""Scorers declared by name with `@scorer(name, gate=...)`, collected in an immutable `ScorerRegistry`."""

from cadencia.evals.scorers.base import Judgement, Score, Scorer, ScorerFn, ScorerRegistry, scorer
from cadencia.evals.scorers.builtin import BUILTIN_SCORERS, GATES, default_scorers
from cadencia.evals.scorers.gates import episode_passed, failed_gates, score_episode

__all__ = [
    "BUILTIN_SCORERS",
    "GATES",
    "Judgement",
    "Score",
    "Scorer",
    "ScorerFn",
    "ScorerRegistry",
    "default_scorers",
    "episode_passed",
    "failed_gates",
    "score_episode",
    "scorer",
]
