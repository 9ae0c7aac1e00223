"""An irreversible action pauses in one process and is approved, resumed and executed exactly once from another."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers.agents import small_goal

from cadencia.tools.names import base_name
from cadencia.tools.store.store import Store

pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadencia", *args], capture_output=True, text=True, timeout=180, env=None, check=False
    )


def test_an_approval_given_from_a_second_process_resumes_the_run_and_acts_once(tmp_path: Path) -> None:
    goal = tmp_path / "goal.yaml"
    goal.write_text(yaml.safe_dump(small_goal().model_dump(mode="json")), encoding="utf-8")
    workdir = tmp_path / "work"
    first = _cli(
        "run",
        "--goal",
        str(goal),
        "--workdir",
        str(workdir),
        "--no-interactive",
        "--max-cycles",
        "1",
        "--run-id",
        "run-2proc",
    )
    assert first.returncode == 0, first.stdout + first.stderr
    match = re.search(r"approvals approve (run-2proc/\S+)", first.stdout)
    assert match, first.stdout
    approval_id = match.group(1)

    listed = _cli("approvals", "list", "--workdir", str(workdir))
    assert approval_id in listed.stdout

    second = _cli("approvals", "approve", approval_id, "--workdir", str(workdir), "--approver", "ana")
    assert second.returncode == 0, second.stdout + second.stderr

    again = _cli("approvals", "approve", approval_id, "--workdir", str(workdir))
    assert again.returncode != 0 and "not waiting" in again.stdout

    store = Store.open(workdir / "sandbox.db")
    with store.reading() as conn:
        rows = conn.exec_driver_sql("SELECT tool, idempotency_key FROM calls").all()
    store.close()
    action_id = approval_id.split("/", 1)[1]
    executed = [tool for tool, key in rows if key and f".{action_id}." in key]
    assert len(executed) == 1, rows
    assert base_name(executed[0]) in {
        "reply_to_review",
        "confirm_purchase_order",
        "send_now",
        "request_reviews",
        "flag_review",
        "schedule_promotion",
        "set_budget",
    }
