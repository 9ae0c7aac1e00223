"""`cadencia demo --workdir D` keeps its state in D itself: `audit verify`/`rollback --workdir D` find it, its run
is in the index, and a second demo never wipes the first's audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cadencia.agents.runs import RunIndex, RunStatus
from cadencia.cli import app

ENV = {"COLUMNS": "200"}


@pytest.mark.slow
def test_demo_state_is_in_the_workdir_its_run_is_indexed_and_a_second_demo_wipes_nothing(tmp_path: Path) -> None:
    workdir = tmp_path / "lysa"
    first = CliRunner().invoke(app, ["demo", "--workdir", str(workdir), "--days", "1", "--no-interactive"], env=ENV)
    assert first.exit_code == 0, first.output
    assert (workdir / "audit.db").exists() and not (workdir / "demo").exists()
    (record,) = RunIndex(workdir / "runs.db").list()
    assert record.kind == "demo" and record.state is RunStatus.DONE
    assert f"Run {record.run_id} in {workdir}" in first.output

    verified = CliRunner().invoke(app, ["audit", "verify", "--workdir", str(workdir)], env=ENV)
    assert verified.exit_code == 0, verified.output

    audit = (workdir / "audit.db").read_bytes()
    second = CliRunner().invoke(app, ["demo", "--workdir", str(workdir), "--days", "1", "--no-interactive"], env=ENV)
    assert second.exit_code == 2 and "already holds run state" in second.output
    assert (workdir / "audit.db").read_bytes() == audit

    rolled = CliRunner().invoke(app, ["rollback", record.run_id, "--workdir", str(workdir)], env=ENV)
    assert "no run" not in rolled.output and "undone" in rolled.output, rolled.output
