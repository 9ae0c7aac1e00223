"""`cadencia approvals approve`: an edit is a merge patch over the shown arguments, checked against the tool's input
schema before it is guarded again; `--all --run RUN [--tool T]` approves one request after another, each answer
bound to its own request hash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from helpers.agents import small_goal
from typer.testing import CliRunner

from cadencia.agents.edits import EditError, apply_edit, merge_patch
from cadencia.cli import app
from cadencia.tools.store.store import Store

ENV = {"COLUMNS": "240"}
SCHEMA = {
    "type": "object",
    "properties": {
        "purchase_order_id": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "note": {"type": "string"},
    },
    "required": ["purchase_order_id", "quantity"],
}


def test_an_edit_is_a_merge_patch_over_the_shown_arguments() -> None:
    shown = {"purchase_order_id": "PO-1", "quantity": 80, "note": "x"}
    assert apply_edit(shown, {"quantity": 120}, SCHEMA) == {"purchase_order_id": "PO-1", "quantity": 120, "note": "x"}
    assert apply_edit(shown, {"note": None}, SCHEMA) == {"purchase_order_id": "PO-1", "quantity": 80}
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"c": None, "d": 3}}) == {"a": {"b": 1, "d": 3}}


def test_an_edit_that_breaks_the_input_schema_names_each_field_and_rule() -> None:
    shown = {"purchase_order_id": "PO-1", "quantity": 80}
    with pytest.raises(EditError) as caught:
        apply_edit(shown, {"quantity": 0, "purchase_order_id": None}, SCHEMA)
    assert "quantity: 0 is less than the minimum of 1 (minimum)" in str(caught.value)
    assert "'purchase_order_id' is a required property (required)" in str(caught.value)
    with pytest.raises(EditError, match="idempotency_key"):
        apply_edit(shown, {"idempotency_key": "mine"}, SCHEMA)
    with pytest.raises(EditError, match="JSON object"):
        apply_edit(shown, [1], SCHEMA)


@pytest.fixture
def paused(tmp_path: Path, seeded_sqlite_template: Path) -> tuple[Path, str]:
    """A run paused on its first irreversible action (a review reply), and that approval's id."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    shutil.copyfile(seeded_sqlite_template, workdir / "sandbox.db")
    goal = tmp_path / "goal.yaml"
    goal.write_text(yaml.safe_dump(small_goal().model_dump(mode="json")), encoding="utf-8")
    args = ["run", "--goal", str(goal), "--workdir", str(workdir), "--run-id", "r", "--max-cycles", "1"]
    result = CliRunner().invoke(app, [*args, "--no-interactive"], env=ENV)
    assert result.exit_code == 3, result.output
    return workdir, result.output.split("approvals approve ", 1)[1].split()[0]


def _calls(workdir: Path, tool: str) -> list[tuple[str, str]]:
    store = Store.open(workdir / "sandbox.db", create=False)
    with store.reading() as conn:
        rows = conn.exec_driver_sql("SELECT args, idempotency_key FROM calls WHERE tool = ?", (tool,)).all()
    store.close()
    return [(args, key) for args, key in rows]


def test_approve_edit_keeps_the_other_arguments_and_a_bad_edit_changes_nothing(paused: tuple[Path, str]) -> None:
    workdir, approval_id = paused
    bad = CliRunner().invoke(
        app, ["approvals", "approve", approval_id, "--workdir", str(workdir), "--edit", '{"review_id": 5}'], env=ENV
    )
    assert bad.exit_code == 2 and "review_id: 5 is not of type 'string' (type)" in bad.output
    assert approval_id in CliRunner().invoke(app, ["approvals", "list", "--workdir", str(workdir)], env=ENV).output

    body = "Sorry about that. We offer 30-day returns. — Maison Lysa"
    edit = json.dumps({"body": body})
    edited = CliRunner().invoke(
        app, ["approvals", "approve", approval_id, "--workdir", str(workdir), "--edit", edit], env=ENV
    )
    assert edited.exit_code == 3, edited.output  # the edited reply is irreversible: guarded again, asked again
    again = edited.output.split("approvals approve ", 1)[1].split()[0]
    assert again == approval_id + "e"
    shown = CliRunner().invoke(app, ["approvals", "list", "--workdir", str(workdir)], env=ENV).output
    assert body in shown and '"review_id": "RV-' in shown and "claim_ids" in shown


def test_approve_all_for_one_tool_approves_each_request_under_its_own_hash(paused: tuple[Path, str]) -> None:
    workdir, _ = paused
    result = CliRunner().invoke(
        app,
        ["approvals", "approve", "--all", "--run", "r", "--tool", "reviews_reply_to_review", "--workdir", str(workdir)],
        env=ENV,
    )
    assert result.exit_code in (0, 3), result.output
    approved = [line for line in result.output.splitlines() if line.startswith("approving ")]
    assert approved and all("reviews_reply_to_review" in line for line in approved)
    replies = _calls(workdir, "reply_to_review")
    assert len(replies) == len(approved)
    hashes = {line.rsplit("(request ", 1)[1].rstrip(")")[:16] for line in approved}
    assert {key.rsplit(".", 1)[1] for _, key in replies} == hashes, "each reply ran under the hash it was approved for"
