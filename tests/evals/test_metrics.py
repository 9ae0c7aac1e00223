"""pass^k against hand-computed values, and the suite summary over hand-made scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from cadencia.evals.metrics import (
    attack_success_rate,
    pass_hat_k,
    pass_hat_k_table,
    profit_positive_share,
    scorer_rates,
    summarize,
    utility,
    utility_under_attack,
)
from cadencia.evals.scorers import Score


@dataclass(frozen=True)
class Ep:
    scenario_id: str
    passed: bool
    scores: Sequence[Score] = field(default_factory=list)


def _s(name: str, value: float, passed: bool | None) -> Score:
    return Score(scorer=name, value=value, passed=passed)


@pytest.mark.parametrize(("k", "expected"), [(1, 2 / 3), (2, 1 / 3), (3, 0.0)])
def test_pass_hat_k_of_one_task_with_two_of_three_successes(k: int, expected: float) -> None:
    assert pass_hat_k([(3, 2)], k) == pytest.approx(expected)


def test_pass_hat_k_is_the_mean_over_tasks() -> None:
    tasks = [(3, 2), (3, 3), (4, 1)]
    assert pass_hat_k(tasks, 1) == pytest.approx((2 / 3 + 1 + 1 / 4) / 3)
    assert pass_hat_k(tasks, 2) == pytest.approx((1 / 3 + 1 + 0) / 3)


def test_pass_hat_k_never_rises_with_k() -> None:
    tasks = [(5, 4), (5, 2), (5, 5)]
    values = [pass_hat_k(tasks, k) for k in range(1, 6)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("tasks", "k", "message"),
    [
        ([(2, 2)], 3, "at least 3 trials"),
        ([(3, 4)], 1, "cannot have 4 successes"),
        ([(3, 1)], 0, "k >= 1"),
        ([], 1, "no tasks"),
    ],
)
def test_pass_hat_k_refuses_what_it_cannot_estimate(tasks: list[tuple[int, int]], k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pass_hat_k(tasks, k)


def test_pass_hat_k_table_goes_up_to_the_fewest_trials_of_any_scenario() -> None:
    episodes = [Ep("a", True), Ep("a", False), Ep("a", True), Ep("b", True), Ep("b", True)]
    table = pass_hat_k_table(episodes)
    assert list(table) == [1, 2]
    assert table[1] == pytest.approx((2 / 3 + 1) / 2)
    assert table[2] == pytest.approx((1 / 3 + 1) / 2)
    assert pass_hat_k_table([]) == {}


def test_scorer_rates_ignore_episodes_where_the_scorer_did_not_apply() -> None:
    episodes = [
        Ep("a", True, [_s("injection", 0, None), _s("consent", 0, True)]),
        Ep("b", False, [_s("injection", 1, False), _s("consent", 1, False)]),
        Ep("c", True, [_s("injection", 0, True), _s("cost", 0.2, True)]),
    ]
    rates = {r.scorer: r for r in scorer_rates(episodes)}
    assert (rates["injection"].applicable, rates["injection"].passed, rates["injection"].rate) == (2, 1, 0.5)
    assert rates["consent"].rate == 0.5
    assert [r.scorer for r in scorer_rates(episodes)] == ["consent", "injection", "cost"]  # gates first


def _attacked(success: bool, task_done: bool) -> Ep:
    scores = [_s("injection", float(success), not success)]
    return Ep("inj", task_done and not success, scores)


def test_attack_success_and_utility_are_rates_over_attacked_episodes_only() -> None:
    benign = Ep("ok", False, [_s("injection", 0, None), _s("goal_attainment", 0.4, False)])
    episodes = [_attacked(True, True), _attacked(False, True), _attacked(False, False), _attacked(False, True), benign]
    assert attack_success_rate(episodes) == pytest.approx(0.25)
    # Utility is "the scenario's task got done" (the episode passed), not a stretch goal's attainment.
    assert utility_under_attack(episodes) == pytest.approx(0.5)
    assert utility(episodes) == 0.0
    assert attack_success_rate([benign]) is None
    assert utility_under_attack([benign]) is None


def test_profit_share_counts_scenarios_by_their_mean_over_trials() -> None:
    episodes = [
        Ep("a", True, [_s("incremental_profit", 500, True)]),
        Ep("a", True, [_s("incremental_profit", -100, False)]),
        Ep("b", True, [_s("incremental_profit", -900, False)]),
        Ep("b", True, [_s("incremental_profit", 100, True)]),
        Ep("c", True, [_s("incremental_profit", 1, True)]),
    ]
    assert profit_positive_share(episodes) == pytest.approx(2 / 3)


def test_summary_totals_violations_unapproved_and_forbidden_calls() -> None:
    def ep(sid: str, violations: int, unapproved: int, forbidden: int) -> Ep:
        scores = [
            _s("world_safety", violations, violations == 0),
            _s("unapproved_irreversible", unapproved, unapproved == 0),
            _s("forbidden_actions", forbidden, forbidden == 0),
            _s("incremental_profit", 1_000, True),
        ]
        return Ep(sid, violations + unapproved + forbidden == 0, scores)

    summary = summarize([ep("a", 2, 1, 0), ep("a", 0, 0, 0), ep("b", 1, 0, 3)])
    assert (summary.violations, summary.unapproved_irreversible, summary.forbidden_calls) == (3, 1, 3)
    assert (summary.scenarios, summary.episodes, summary.passed_episodes) == (2, 3, 1)
    assert summary.pass_rate == pytest.approx(1 / 3)
    assert summary.pass_hat_k == {1: pytest.approx(0.25)}
    assert summary.incremental_profit_mean_minor == 1_000
    assert summary.injection_episodes == 0 and summary.attack_success_rate is None


def test_summary_of_no_episodes_is_empty_not_an_error() -> None:
    summary = summarize([])
    assert (summary.episodes, summary.pass_rate, summary.pass_hat_k) == (0, None, {})
