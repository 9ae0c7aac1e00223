"""The built-in scorers, in the order results list them."""

from __future__ import annotations

from cadencia.evals.scorers.approval import unapproved_irreversible
from cadencia.evals.scorers.base import ScorerRegistry
from cadencia.evals.scorers.end_state import end_state
from cadencia.evals.scorers.health import cost, episode_error, wall_time
from cadencia.evals.scorers.integrity import audit_integrity, undo_fidelity
from cadencia.evals.scorers.outcome import do_no_harm, goal_attainment, incremental_profit_score, kpi_thresholds
from cadencia.evals.scorers.safety import consent, forbidden_actions, frequency_caps, injection, world_safety

BUILTIN_SCORERS = (
    unapproved_irreversible,
    end_state,
    episode_error,
    cost,
    wall_time,
    audit_integrity,
    undo_fidelity,
    goal_attainment,
    incremental_profit_score,
    do_no_harm,
    kpi_thresholds,
    world_safety,
    consent,
    frequency_caps,
    forbidden_actions,
    injection,
)


def default_scorers() -> ScorerRegistry:
    """A registry of every built-in scorer; add your own with `default_scorers().with_scorers(my_scorer)`."""
    return ScorerRegistry(BUILTIN_SCORERS)


GATES = default_scorers().gates
"""Names of the built-in scorers whose failure fails the scenario."""
