"""Runs behave from the durable record: a killed run is shown interrupted, resumes with its run id, and rolls back
whole (audit log + the servers' call record, not the last checkpoint); closed runs refuse approvals and restarts."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
import yaml
from helpers.agents import answer, server_calls, session_for, small_goal
from typer.testing import CliRunner

from cadencia.agents.approvals import ApprovalChoice
from cadencia.agents.driver import DriveStatus, RunClosed, drive
from cadencia.agents.runs import RunIndex, RunStatus
from cadencia.agents.workdir import Workdir
from cadencia.cli import app
from cadencia.tools.store.store import Store

ENV = {"COLUMNS": "200"}
GOAL = Path(__file__).parents[2] / "agents" / "goals" / "spring_launch.yaml"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadencia", *args], capture_output=True, text=True, timeout=300, check=False
    )


def _calls(workdir: Path) -> list[tuple[str, str]]:
    store = Store.open(workdir / "sandbox.db", create=False)
    with store.reading() as conn:
        rows = conn.exec_driver_sql("SELECT tool, idempotency_key FROM calls ORDER BY seq").all()
    store.close()
    return [(tool, key) for tool, key in rows]


def _start_and_kill(workdir: Path, run_id: str, *, after: int) -> None:
    """`cadencia run` in a child process, killed with SIGKILL once it has reported `after` executed actions."""
    command = [sys.executable, "-m", "cadencia", "run", "--goal", str(GOAL), "--workdir", str(workdir)]
    child = subprocess.Popen(
        [*command, "--run-id", run_id, "--no-interactive"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert child.stdout is not None
    done = 0
    for line in child.stdout:
        done += line.rstrip().endswith(" ok")
        if done >= after:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert done >= after, "the run ended before it executed enough actions to kill it mid-cycle"


@pytest.fixture
def workdir(tmp_path: Path, seeded_sqlite_template: Path) -> Path:
    root = tmp_path / "work"
    root.mkdir()
    shutil.copyfile(seeded_sqlite_template, root / "sandbox.db")
    return root


@pytest.mark.slow
def test_a_run_killed_mid_cycle_is_interrupted_and_rollback_undoes_every_executed_action(workdir: Path) -> None:
    before = Store.open(workdir / "sandbox.db").state_hash()
    _start_and_kill(workdir, "run-killed", after=12)
    record = RunIndex(workdir / "runs.db").get("run-killed")
    assert record is not None and record.state is RunStatus.INTERRUPTED
    executed = [key for _, key in _calls(workdir)]
    assert len(executed) >= 12

    result = CliRunner().invoke(app, ["rollback", "run-killed", "--workdir", str(workdir)], env=ENV)
    assert result.exit_code == 0, result.output
    assert f"All {len(executed)} action(s) undone" in result.output
    assert Store.open(workdir / "sandbox.db").state_hash() == before
    assert RunIndex(workdir / "runs.db").get("run-killed").state is RunStatus.ROLLED_BACK  # type: ignore[union-attr]

    again = CliRunner().invoke(app, ["rollback", "run-killed", "--workdir", str(workdir)], env=ENV)
    assert again.exit_code == 0 and "already_undone" in again.output and "undone by an earlier" in again.output


@pytest.mark.slow
def test_a_killed_run_resumes_with_its_run_id_and_acts_once_per_action(workdir: Path) -> None:
    _start_and_kill(workdir, "run-resume", after=6)
    resumed = _cli("run", "--run-id", "run-resume", "--workdir", str(workdir), "--no-interactive")
    assert resumed.returncode == 3, resumed.stdout + resumed.stderr  # resumed, then paused on an approval
    assert "Resuming run run-resume (interrupted)" in resumed.stdout
    assert "approvals approve run-resume/" in resumed.stdout
    keys = [key for _, key in _calls(workdir)]
    assert len(keys) == len(set(keys)) > 6, "a resumed step acted twice"

    rollback = _cli("rollback", "run-resume", "--workdir", str(workdir))
    assert rollback.returncode == 0, rollback.stdout
    assert f"All {len(keys)} action(s) undone" in rollback.stdout


def _goal_file(tmp_path: Path) -> Path:
    goal = tmp_path / "goal.yaml"
    goal.write_text(yaml.safe_dump(small_goal().model_dump(mode="json")), encoding="utf-8")
    return goal


def test_run_prints_its_id_first_and_exits_3_while_paused_then_refuses_to_restart_a_closed_run(
    tmp_path: Path, workdir: Path
) -> None:
    goal = _goal_file(tmp_path)
    args = ["run", "--goal", str(goal), "--workdir", str(workdir), "--run-id", "r-1", "--max-cycles", "1"]
    paused = CliRunner().invoke(app, [*args, "--no-interactive"], env=ENV)
    assert paused.exit_code == 3, paused.output
    assert paused.output.splitlines()[0].startswith("Run r-1 in ")
    again = CliRunner().invoke(app, [*args, "--no-interactive"], env=ENV)
    assert again.exit_code == 2 and "waiting for an approval" in again.output

    rolled = CliRunner().invoke(app, ["rollback", "r-1", "--workdir", str(workdir)], env=ENV)
    assert rolled.exit_code == 0, rolled.output
    restart = CliRunner().invoke(app, [*args, "--no-interactive"], env=ENV)
    assert restart.exit_code == 2 and "rolled_back (closed)" in restart.output
    assert "Traceback" not in restart.output


def test_a_rolled_back_run_is_closed_to_approvals_and_list_and_approve_agree(tmp_path: Path, workdir: Path) -> None:
    goal = _goal_file(tmp_path)
    args = ["run", "--goal", str(goal), "--workdir", str(workdir), "--run-id", "r-2", "--max-cycles", "1"]
    paused = CliRunner().invoke(app, [*args, "--no-interactive"], env=ENV)
    assert paused.exit_code == 3
    approval_id = paused.output.split("approvals approve ", 1)[1].split()[0]
    assert approval_id in CliRunner().invoke(app, ["approvals", "list", "--workdir", str(workdir)], env=ENV).output

    assert CliRunner().invoke(app, ["rollback", "r-2", "--workdir", str(workdir)], env=ENV).exit_code == 0
    listed = CliRunner().invoke(app, ["approvals", "list", "--workdir", str(workdir)], env=ENV)
    assert "No approvals pending" in listed.output
    calls = len(_calls(workdir))
    approve = CliRunner().invoke(app, ["approvals", "approve", approval_id, "--workdir", str(workdir)], env=ENV)
    assert approve.exit_code == 2 and "rolled_back" in approve.output
    assert len(_calls(workdir)) == calls, "a rolled-back run was resumed"


def test_an_embedded_run_is_in_the_index_and_running_it_again_keeps_its_pending_approval(
    store: Store, tmp_path: Path
) -> None:
    async def twice() -> tuple[str | None, str | None, int]:
        async with session_for(store, tmp_path, run_id="embedded-1") as session:
            first = await drive(session)
        async with session_for(store, tmp_path, run_id="embedded-1") as session:
            second = await drive(session)
            executed = len((await session.graph.aget_state(session.config)).values["executed"])
        ids = [r.pending.approval_id if r.pending else None for r in (first, second)]
        return ids[0], ids[1], executed

    first, second, executed = anyio.run(twice)
    assert first is not None and first == second
    record = RunIndex(Workdir.at(tmp_path / "work").runs).get("embedded-1")
    assert record is not None and record.kind == "embedded" and record.state is RunStatus.WAITING_APPROVAL
    listed = CliRunner().invoke(app, ["approvals", "list", "--workdir", str(tmp_path / "work")], env=ENV)
    assert first in listed.output
    assert executed > 0


def test_a_finished_embedded_run_is_not_restarted(store: Store, tmp_path: Path) -> None:
    async def main() -> int:
        async with session_for(store, tmp_path, run_id="e-2") as session:
            done = await drive(session, approver=answer(ApprovalChoice.REJECT))
            assert done.status is DriveStatus.DONE
        calls = len(server_calls(store))
        async with session_for(store, tmp_path, run_id="e-2") as session:
            with pytest.raises(RunClosed, match="done: it is closed"):
                await drive(session)
        return calls

    calls = anyio.run(main)
    assert len(server_calls(store)) == calls
