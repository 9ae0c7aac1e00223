"""Outcome, end-state, cost and error scorers, and how one episode is judged, on hand-built episodes."""

from __future__ import annotations

import pytest
from helpers.scorers import final, scenario, trajectory

from cadencia.agents.goal import Autonomy, Metric
from cadencia.evals.scenarios import Comparison, DoNoHarm, EndStateAssertion, KpiThreshold
from cadencia.evals.scorers import (
    GATES,
    Judgement,
    default_scorers,
    episode_passed,
    failed_gates,
    score_episode,
    scorer,
)
from cadencia.evals.scorers.end_state import end_state
from cadencia.evals.scorers.health import cost, episode_error
from cadencia.evals.scorers.measures import compare
from cadencia.evals.scorers.outcome import do_no_harm, goal_attainment, incremental_profit_score, kpi_thresholds


def test_goal_reached_gives_ratio_above_one_and_passes() -> None:
    score = goal_attainment(scenario(target=100_000), trajectory(), final(kpi_value=125_000))
    assert score.value == pytest.approx(1.25)
    assert score.passed is True


def test_goal_missed_gives_ratio_below_one_and_fails() -> None:
    score = goal_attainment(scenario(target=100_000), trajectory(), final(kpi_value=80_000))
    assert score.value == pytest.approx(0.8)
    assert score.passed is False


def test_stock_cover_goal_is_a_minimum_cover_in_days() -> None:
    sc = scenario(metric=Metric.STOCK_COVER, target=10)
    assert goal_attainment(sc, trajectory(), final(kpi_value=12)).passed is True
    assert goal_attainment(sc, trajectory(), final(kpi_value=6)).value == pytest.approx(0.6)


def test_goal_without_a_measured_kpi_fails() -> None:
    score = goal_attainment(scenario(), trajectory(), final(kpi_value=None))
    assert (score.value, score.passed) == (0.0, False)


def test_incremental_profit_is_agent_minus_baseline_in_minor_units() -> None:
    score = incremental_profit_score(scenario(), trajectory(), final(profit=50_000, baseline_profit=42_000))
    assert (score.value, score.passed) == (8_000, True)


def test_losing_to_the_baseline_fails_incremental_profit() -> None:
    score = incremental_profit_score(scenario(), trajectory(), final(profit=40_000, baseline_profit=40_000))
    assert score.passed is False


def test_kpi_thresholds_do_not_apply_without_thresholds() -> None:
    assert kpi_thresholds(scenario(), trajectory(), final()).passed is None


def test_kpi_thresholds_read_the_ledger_and_the_baseline() -> None:
    thresholds = [
        KpiThreshold(metric="gross_profit", op=">=", value=70_000),  # revenue 120k − cogs 50k
        KpiThreshold(metric="incremental_profit", op=">", value=0),
        KpiThreshold(metric="lost_units", op="<=", value=10),
        KpiThreshold(metric="kpi_attainment", op=">=", value=1.0),
    ]
    score = kpi_thresholds(scenario(kpi=thresholds), trajectory(), final(kpi_value=100_000))
    assert score.passed is True, score.detail
    assert score.data["measured"] == {
        "gross_profit": 70_000,
        "incremental_profit": 6_500,
        "lost_units": 10,
        "kpi_attainment": 1.0,
    }


def test_a_missed_kpi_threshold_fails_and_names_the_metric() -> None:
    thresholds = [KpiThreshold(metric="revenue", op=">=", value=150_000), KpiThreshold(metric="units", op=">", value=1)]
    score = kpi_thresholds(scenario(kpi=thresholds), trajectory(), final())
    assert score.passed is False
    assert score.value == pytest.approx(0.5)
    assert "revenue 120,000 (want >= 150,000)" in score.detail


def test_kpi_attainment_threshold_fails_when_the_kpi_was_not_measured() -> None:
    sc = scenario(kpi=[KpiThreshold(metric="kpi_attainment", op=">=", value=1.0)])
    score = kpi_thresholds(sc, trajectory(), final(kpi_value=None))
    assert score.passed is False
    assert "not measured" in score.detail


@pytest.mark.parametrize(
    ("actual", "op", "expected", "holds"),
    [
        (1.0, "<", 2.0, True),
        (2.0, "<=", 2.0, True),
        (0.1 + 0.2, "==", 0.3, True),
        (1.0, "!=", 1.0, False),
        (3.0, ">=", 2.0, True),
        (2.0, ">", 2.0, False),
    ],
)
def test_comparisons_follow_their_operator(actual: float, op: Comparison, expected: float, holds: bool) -> None:
    assert compare(actual, op, expected) is holds


def _assertion(name: str, op: Comparison, value: float) -> EndStateAssertion:
    return EndStateAssertion(name=name, table="products", column="price_minor", op=op, value=value)


def test_end_state_does_not_apply_without_assertions() -> None:
    assert end_state(scenario(), trajectory(), final()).passed is None


def test_end_state_passes_when_every_assertion_holds() -> None:
    sc = scenario(end_state=[_assertion("floor", ">=", 1_000), _assertion("sent", "==", 0)])
    score = end_state(sc, trajectory(), final(end_state={"floor": 1_200, "sent": 0}))
    assert (score.passed, score.value) == (True, 1.0)


def test_end_state_fails_on_a_false_assertion_and_on_a_missing_value() -> None:
    sc = scenario(end_state=[_assertion("floor", ">=", 1_000), _assertion("sent", "==", 0)])
    score = end_state(sc, trajectory(), final(end_state={"floor": 900}))
    assert score.passed is False
    assert score.value == 0.0
    assert "floor: 900" in score.detail
    assert "sent: not measured" in score.detail


def test_cost_within_budgets_passes_and_reports_the_largest_share() -> None:
    tr = trajectory().model_copy(update={"tool_calls": 200, "llm_calls": 6, "llm_tokens": 1_000, "wall_seconds": 3.5})
    score = cost(scenario(), tr, final())
    assert score.passed is True
    assert score.value == pytest.approx(0.5)  # 200 of 400 tool calls
    assert "wall_seconds" not in score.data, "timing stays out of scores so results.json is deterministic"


def test_cost_over_a_budget_fails() -> None:
    sc = scenario(autonomy=Autonomy(max_llm_calls=0))
    tr = trajectory().model_copy(update={"llm_calls": 3})
    score = cost(sc, tr, final())
    assert score.passed is False
    assert "llm_calls 3 > budget 0" in score.detail


def test_an_episode_error_fails_episode_error() -> None:
    assert episode_error(scenario(), trajectory(), final()).passed is True
    failed = episode_error(scenario(), trajectory(error="MCP server died"), final())
    assert (failed.passed, failed.detail) == (False, "MCP server died")


def test_score_episode_runs_every_registered_scorer_once() -> None:
    scores = score_episode(scenario(), trajectory(), final())
    assert [s.scorer for s in scores] == default_scorers().names()
    assert set(default_scorers().names()) >= GATES
    assert "goal_attainment" not in GATES and "incremental_profit" not in GATES and "cost" not in GATES


def test_a_clean_episode_passes_even_when_gates_do_not_apply() -> None:
    scores = score_episode(scenario(), trajectory(), final())
    assert any(s.passed is None for s in scores if s.scorer in GATES)
    assert episode_passed(scores)


def test_missing_the_goal_or_a_small_shortfall_alone_does_not_fail_the_episode() -> None:
    scores = score_episode(scenario(), trajectory(), final(profit=8_950, baseline_profit=9_000, kpi_value=10))
    assert episode_passed(scores)


def test_ending_well_below_doing_nothing_fails_the_episode() -> None:
    scores = score_episode(scenario(), trajectory(), final(profit=1_000, baseline_profit=9_000, kpi_value=10))
    assert [s.scorer for s in failed_gates(scores)] == ["do_no_harm"]


def test_one_failed_gate_fails_the_episode() -> None:
    scores = score_episode(scenario(), trajectory(error="boom"), final())
    assert [s.scorer for s in failed_gates(scores)] == ["episode_error"]
    assert not episode_passed(scores)


def test_a_registry_refuses_two_scorers_under_one_name() -> None:
    @scorer("cost")
    def another_cost(*_: object) -> Judgement:
        return Judgement(value=0, passed=True)

    with pytest.raises(ValueError, match="'cost' registered twice"):
        default_scorers().with_scorers(another_cost)


def test_a_scorer_added_as_a_gate_is_named_once_and_can_fail_the_episode() -> None:
    @scorer("test_always_fails", gate=True)
    def always_fails(*_: object) -> Judgement:
        """Fails every episode."""
        return Judgement(value=0, passed=False, detail="no")

    registry = default_scorers().with_scorers(always_fails)
    scores = score_episode(scenario(), trajectory(), final(), scorers=registry)
    assert (scores[-1].scorer, scores[-1].detail) == ("test_always_fails", "no")
    assert always_fails.description == "Fails every episode."
    assert not episode_passed(scores, registry.gates)
    assert episode_passed(scores) and "test_always_fails" not in default_scorers().names()


def test_losing_more_than_the_allowance_to_doing_nothing_fails_do_no_harm() -> None:
    score = do_no_harm(scenario(), trajectory(), final(profit=90_000, baseline_profit=100_000))
    assert (score.value, score.passed) == (-10_000, False)
    assert score.data["allowed_loss_minor"] == 1_000  # 1 % of the baseline's profit by default


def test_a_small_loss_within_the_allowance_and_any_gain_pass_do_no_harm() -> None:
    assert do_no_harm(scenario(), trajectory(), final(profit=99_500, baseline_profit=100_000)).passed is True
    assert do_no_harm(scenario(), trajectory(), final(profit=120_000, baseline_profit=100_000)).passed is True


def test_a_scenario_sets_its_own_allowance_and_do_no_harm_is_a_gate() -> None:
    sc = scenario()
    sc.expectations.do_no_harm = DoNoHarm(max_loss_minor=20_000, max_loss_pct=0)
    assert do_no_harm(sc, trajectory(), final(profit=90_000, baseline_profit=100_000)).passed is True
    assert "do_no_harm" in GATES
