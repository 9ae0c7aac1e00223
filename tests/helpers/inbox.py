"""Inbox test fixtures: a workdir with server approvals (pending, expired) and a run paused on an approval."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from typer.testing import CliRunner

from cadencia.agents.workdir import Workdir
from cadencia.cli import app
from cadencia.tools.approvals import ApprovalStore, ApprovalTicket, request_hash
from helpers.agents import small_goal

APPROVER_TOKEN = "approver-token-0123456789abcdef0123456789"
READER_TOKEN = "reader-token-0123456789abcdef0123456789ab"
CALLER = "static:token-9"


def server_ticket(store: ApprovalStore, approval_id: str, *, expired: bool = False, subject: str = CALLER) -> str:
    """A server approval as ServerSafety asks it (a caller's send to a segment), optionally already past deadline."""
    args = {"message_id": f"MSG-{approval_id}", "segment_id": "SEG-VIP"}
    digest = request_hash("crm_send_message", args, subject=subject)
    now = datetime.now(UTC)
    asked = now - timedelta(hours=30) if expired else now
    store.ask(
        ApprovalTicket(
            approval_id=approval_id,
            request_hash=digest,
            tool="crm_send_message",
            subject=subject,
            request={
                "tool": "crm_send_message",
                "arguments": args,
                "in_words": f"{subject} asks to run crm_send_message(message_id=MSG-{approval_id}, segment_id=SEG-VIP)",
                "reversibility": "irreversible",
                "verdicts": [{"rule": "irreversible_needs_approval", "decision": "require_approval", "reason": "x"}],
                "blast_radius": {"contacts_messaged": 42, "spend_moved_minor": 0},
                "request_hash": digest,
                "subject": subject,
            },
            requested_at=asked,
            expires_at=asked + timedelta(hours=24),
        )
    )
    return approval_id


@dataclass(frozen=True)
class PausedRun:
    workdir: Workdir
    approval_id: str


def paused_run(tmp_path: Path, seeded_sqlite_template: Path, *, run_id: str = "r", **autonomy: object) -> PausedRun:
    """`cadencia run` on the in-process sandbox, paused on its first irreversible action (a review reply)."""
    root = tmp_path / "work"
    root.mkdir(exist_ok=True)
    if not (root / "sandbox.db").exists():
        shutil.copyfile(seeded_sqlite_template, root / "sandbox.db")
    goal = tmp_path / "goal.yaml"
    goal.write_text(yaml.safe_dump(small_goal(**autonomy).model_dump(mode="json")), encoding="utf-8")
    args = ["run", "--goal", str(goal), "--workdir", str(root), "--run-id", run_id, "--max-cycles", "1"]
    result = CliRunner().invoke(app, [*args, "--no-interactive"], env={"COLUMNS": "240"})
    assert result.exit_code == 3, result.output
    found = re.search(r"approvals approve (\S+)", result.output)
    assert found is not None, result.output
    return PausedRun(Workdir.at(root), found.group(1))
