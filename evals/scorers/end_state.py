"""The scenario's assertions about the final world (values measured by the runner, compared here)."""

from __future__ import annotations

from pydantic import JsonValue

from cadencia.evals.scenarios import Scenario
from cadencia.evals.scorers.base import Judgement, scorer
from cadencia.evals.scorers.measures import compare, number
from cadencia.evals.trajectory import FinalState, Trajectory


@scorer("end_state", gate=True)
def end_state(scenario: Scenario, trajectory: Trajectory, final: FinalState) -> Judgement:
    """Every end-state assertion holds on the final world (a value the runner did not measure fails);
    value = share that hold; not applicable when there are none."""
    assertions = scenario.expectations.end_state
    if not assertions:
        return Judgement(value=1.0, passed=None, detail="no end-state assertions")
    failures: list[str] = []
    measured: dict[str, JsonValue] = {}
    for assertion in assertions:
        actual = final.end_state.get(assertion.name)
        measured[assertion.name] = actual
        want = f"{assertion.aggregate}({assertion.table}.{assertion.column}) {assertion.op} {number(assertion.value)}"
        if actual is None:
            failures.append(f"{assertion.name}: not measured (want {want})")
        elif not compare(actual, assertion.op, assertion.value):
            failures.append(f"{assertion.name}: {number(actual)} (want {want})")
    return Judgement(
        value=(len(assertions) - len(failures)) / len(assertions),
        passed=not failures,
        detail="; ".join(failures) or f"all {len(assertions)} assertions hold",
        data={"measured": measured, "failed": list(failures)},
    )
