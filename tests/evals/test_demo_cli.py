"""`cadencia demo --workdir D` keeps its state in D itself: `audit verify`/`rollback --workdir D` find it, its run
is in the index, and a second demo never wipes the first's audit log."""

from __future__ import annotations

import re
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


def _money(text: str) -> int:
    """`12,345.67` → 1234567 (minor units)."""
    return int(text.replace(",", "").replace(".", ""))


@pytest.mark.slow
def test_demo_kpi_includes_the_last_day_and_reconciles_with_the_day_lines_and_totals(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--workdir", str(tmp_path / "d"), "--days", "2", "--no-interactive"], env=ENV
    )
    assert result.exit_code == 0, result.output
    days = re.findall(r"gross profit +([\d,]+\.\d\d) +ads", result.output)
    assert len(days) == 2
    total = re.search(r"2 day\(s\): revenue [\d,.]+ EUR, gross profit ([\d,]+\.\d\d) EUR", result.output)
    assert total and _money(total.group(1)) == sum(_money(d) for d in days)
    kpi = re.search(r"KPI gross_profit\s+│ ([\d,]+\.\d\d) EUR → ([\d,]+\.\d\d) EUR", result.output)
    assert kpi, result.output
    assert _money(kpi.group(1)) == 0 and _money(kpi.group(2)) == _money(total.group(1)) > 0
    assert "12,000,000" not in result.output and "cycle 0/14" not in result.output
