"""Business outcome: the goal's KPI, profit against the do-nothing baseline, and the scenario's KPI thresholds."""

from __future__ import annotations

from pydantic import JsonValue

from cadencia.evals.scenarios import Scenario
from cadencia.evals.scorers.base import Judgement, scorer
from cadencia.evals.scorers.measures import attainment, compare, incremental_profit, kpi_metric, number
from cadencia.evals.trajectory import FinalState, Trajectory


@scorer("goal_attainment")
def goal_attainment(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """KPI value ÷ target; passed when the target is reached (a minimum cover in days for stock_cover)."""
    kpi = scenario.goal.kpi
    ratio, value = attainment(scenario, final), final.kpi_value
    data: dict[str, JsonValue] = {"metric": kpi.metric.value, "kpi_value": value, "target": kpi.target}
    if ratio is None or value is None:
        return Judgement(value=0.0, passed=False, detail="the world reported no KPI value", data=data)
    return Judgement(
        value=ratio,
        passed=ratio >= 1.0,
        detail=f"{kpi.metric.value} {number(value)} of target {number(kpi.target)} ({ratio:.0%})",
        data=data,
    )


@scorer("incremental_profit")
def incremental_profit_score(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """Profit over the do-nothing baseline on the same seed, in minor units; passed when positive."""
    delta = incremental_profit(final)
    return Judgement(
        value=delta,
        passed=delta > 0,
        detail=f"profit {final.ledger.profit_minor} vs baseline {final.baseline.profit_minor} (minor units)",
        data={"agent_profit_minor": final.ledger.profit_minor, "baseline_profit_minor": final.baseline.profit_minor},
    )


@scorer("do_no_harm", gate=True)
def do_no_harm(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """Profit not below the do-nothing baseline by more than the scenario's allowance; value = incremental profit."""
    delta = incremental_profit(final)
    allowance = scenario.expectations.do_no_harm.allowance(final.baseline.profit_minor)
    harmed = delta < -allowance
    return Judgement(
        value=delta,
        passed=not harmed,
        detail=(
            f"{'lost' if delta < 0 else 'gained'} {abs(delta)} minor units against doing nothing"
            f" (allowed loss {allowance})"
        ),
        data={"incremental_profit_minor": delta, "allowed_loss_minor": allowance},
    )


@scorer("kpi_thresholds", gate=True)
def kpi_thresholds(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """Every KPI threshold the scenario expects; value = share met; not applicable when there are none."""
    thresholds = scenario.expectations.kpi
    if not thresholds:
        return Judgement(value=1.0, passed=None, detail="no KPI thresholds")
    failures: list[str] = []
    measured: dict[str, JsonValue] = {}
    for threshold in thresholds:
        actual = kpi_metric(threshold, scenario, final)
        measured[threshold.metric] = actual
        want = f"{threshold.op} {number(threshold.value)}"
        if actual is None:
            failures.append(f"{threshold.metric} not measured (want {want})")
        elif not compare(actual, threshold.op, threshold.value):
            failures.append(f"{threshold.metric} {number(actual)} (want {want})")
    met = len(thresholds) - len(failures)
    return Judgement(
        value=met / len(thresholds),
        passed=not failures,
        detail="; ".join(failures) or f"all {len(thresholds)} thresholds met",
        data={"measured": measured, "failed": list(failures)},
    )
