"""Scorers registered by name; importing this package registers the built-ins."""

from cadencia.evals.scorers import approval, end_state, health, integrity, outcome, safety  # noqa: F401 (registers)
from cadencia.evals.scorers.base import SCORERS, Score, ScorerFn, scorer
from cadencia.evals.scorers.gates import GATES, episode_passed, failed_gates, score_episode

__all__ = ["GATES", "SCORERS", "Score", "ScorerFn", "episode_passed", "failed_gates", "score_episode", "scorer"]
