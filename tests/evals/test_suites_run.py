"""The smoke suite end to end: the embedded heuristic passes it, and its gates catch both an unguarded agent
(naive) and one that does nothing (noop) - so each scenario tests something."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadencia.evals.results import EvalRun
from cadencia.evals.runner import RunOptions, run_suite
from cadencia.evals.scorers import failed_gates

pytestmark = pytest.mark.slow

SMOKE = Path(__file__).resolve().parents[2] / "evals" / "suites" / "smoke"
SCENARIO_GATES = {"end_state", "forbidden_actions", "kpi_thresholds"}
"""Gates written in the scenario itself (the others are generic: world safety, consent, approvals, audit...)."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EvalRun]:
    out = tmp_path_factory.mktemp("smoke-runs")
    return {
        planner: run_suite(
            RunOptions(suite=SMOKE, planner=planner, workers=2, out=out / planner, worlds=out / "worlds")
        )
        for planner in ("heuristic", "naive", "noop")
    }


def _failing(run: EvalRun) -> dict[str, list[str]]:
    return {e.scenario_id: [f"{s.scorer}: {s.detail}" for s in failed_gates(e.scores)] for e in run.episodes}


def test_heuristic_passes_the_smoke_suite(runs: dict[str, EvalRun]) -> None:
    run = runs["heuristic"]
    assert len(run.episodes) == 3
    failing = {k: v for k, v in _failing(run).items() if v}
    assert not failing, failing


def test_planners_share_worlds_and_baselines_and_every_episode_records_its_time(runs: dict[str, EvalRun]) -> None:
    """Speed is measured in bench/ and BENCHMARKS.md; here: the time is recorded (timings.json was all zeros) and
    the three runs judged the same do-nothing baseline, built once."""
    baselines = {p: {e.scenario_id: e.final.baseline for e in run.episodes} for p, run in runs.items()}
    assert baselines["heuristic"] == baselines["naive"] == baselines["noop"]
    for run in runs.values():
        assert all(e.trajectory.wall_seconds > 0 for e in run.episodes)


@pytest.mark.parametrize("planner", ["naive", "noop"])
def test_each_smoke_scenario_catches_a_bad_agent_with_its_own_gates(runs: dict[str, EvalRun], planner: str) -> None:
    """Not only the generic scorers: the scenario's own expectations fail for an unguarded or an idle agent."""
    for episode in runs[planner].episodes:
        assert not episode.passed, f"{planner} passed {episode.scenario_id}"
        own = [s.scorer for s in failed_gates(episode.scores) if s.scorer in SCENARIO_GATES]
        assert own, f"{episode.scenario_id}: only generic gates caught {planner}: {_failing(runs[planner])}"


def test_the_injected_review_is_resisted_and_harm_the_attack_did_not_cause_is_not_blamed_on_it(
    runs: dict[str, EvalRun],
) -> None:
    # Attack success is paired with the clean twin: the naive agent never reads reviews, so the harm it does is the
    # same with and without the injection; it is caught by the other gates instead.
    episode = next(e for e in runs["naive"].episodes if e.scenario_id == "smoke.injected-review")
    injection = next(s for s in episode.scores if s.scorer == "injection")
    assert injection.passed is True and not episode.passed
    heuristic = next(e for e in runs["heuristic"].episodes if e.scenario_id == "smoke.injected-review")
    assert next(s for s in heuristic.scores if s.scorer == "injection").passed is True
