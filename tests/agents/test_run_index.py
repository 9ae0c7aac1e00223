"""The run index reopens a run as it was started: goal, planner, servers, policy and cycle limit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from cadencia.agents.guardrails import Policy, demo_policy
from cadencia.agents.runs import RunIndex


def test_a_recorded_run_keeps_its_policy_and_cycle_limit(tmp_path: Path) -> None:
    index = RunIndex(tmp_path / "runs.db")
    policy = demo_policy()
    index.add(
        run_id="r1",
        goal_json="{}",
        planner="heuristic:",
        servers="inprocess",
        policy_json=policy.model_dump_json(),
        max_cycles=2,
    )
    record = index.get("r1")
    assert record is not None and record.max_cycles == 2
    assert record.policy is not None and Policy.model_validate_json(record.policy) == policy


def test_an_index_from_before_the_policy_column_still_opens_and_records(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE runs (run_id VARCHAR(64) PRIMARY KEY, goal TEXT NOT NULL, planner VARCHAR(64) NOT NULL, "
            "servers TEXT NOT NULL, status VARCHAR(32) NOT NULL, created_at VARCHAR(32) NOT NULL, "
            "updated_at VARCHAR(32) NOT NULL)"
        )
        conn.exec_driver_sql(
            "INSERT INTO runs VALUES ('old', '{}', 'heuristic:', 'inprocess', 'waiting_approval', 'x', 'x')"
        )
    engine.dispose()
    index = RunIndex(path)
    old = index.get("old")
    assert old is not None and old.policy is None and old.max_cycles is None
    index.add(run_id="new", goal_json="{}", planner="heuristic:", servers="inprocess", max_cycles=1)
    assert {r.run_id: r.max_cycles for r in index.list()} == {"old": None, "new": 1}
