"""`cadencia audit …` commands, driven through typer's CliRunner on `audit_app`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cadencia.servers.audit_cli import audit_app
from cadencia.tools.audit import AuditKind, AuditLog, InclusionProof, read_checkpoints

WIDE = {"COLUMNS": "200"}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    root = tmp_path / "run"
    with AuditLog.open(root / "audit.db", key_path=root / "audit-signing-key.pem") as log:
        for i in range(6):
            run_id = "run-1" if i % 2 else "run-2"
            log.append(run_id=run_id, actor="planner:heuristic", kind=AuditKind.PROPOSAL, payload={"i": i})
    return root


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(audit_app, [str(arg) for arg in args], env={**WIDE, **(env or {})})


@pytest.mark.parametrize("command", ["verify", "show", "prove", "checkpoint", "migrate"])
def test_every_command_help_shows_an_example(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert f"Example: cadencia audit {command}" in result.output
    assert "--workdir" in result.output and "CADENCIA_AUDIT_URL" in result.output


def test_verify_exits_zero_on_an_intact_log(workdir: Path) -> None:
    result = invoke("verify", "--workdir", workdir)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and "Records" in result.output


def test_verify_exits_one_and_names_the_edited_record(workdir: Path) -> None:
    with sqlite3.connect(workdir / "audit.db") as raw:
        raw.execute("""UPDATE audit_records SET payload = '{"i":99}' WHERE seq = 3""")
    result = invoke("verify", "--workdir", workdir)
    assert result.exit_code == 1
    assert "TAMPERED" in result.output
    assert "record 3 was edited: its hash does not match its content" in result.output


def test_checkpoint_signs_and_exports_for_verify_to_use_later(workdir: Path, tmp_path: Path) -> None:
    exported = tmp_path / "vault" / "checkpoints.jsonl"
    result = invoke("checkpoint", "--workdir", workdir, "--export", exported)
    assert result.exit_code == 0, result.output
    assert "Tree size" in result.output and "exported 2 checkpoints" in result.output  # closing signed the first
    assert [cp.tree_size for cp in read_checkpoints(exported)] == [6, 6]
    with sqlite3.connect(workdir / "audit.db") as raw:
        raw.execute("DELETE FROM audit_checkpoints")
        raw.execute("DELETE FROM audit_records WHERE seq = 6")
    assert invoke("verify", "--workdir", workdir).exit_code == 0
    result = invoke("verify", "--workdir", workdir, "--checkpoints", exported)
    assert result.exit_code == 1
    assert "checkpoint at size 6 is beyond the end of the log (5 records): record 6 was deleted" in result.output


def test_show_prints_a_runs_records_as_a_table(workdir: Path) -> None:
    result = invoke("show", "run-1", "--workdir", workdir)
    assert result.exit_code == 0, result.output
    assert "run run-1: 3 records" in result.output and "planner:heuristic" in result.output
    assert '{"i":5}' in result.output and '{"i":4}' not in result.output


def test_show_exports_jsonl_to_stdout_or_a_file(workdir: Path, tmp_path: Path) -> None:
    result = invoke("show", "run-2", "--workdir", workdir, "--format", "jsonl")
    assert result.exit_code == 0
    assert [json.loads(line)["seq"] for line in result.output.splitlines()] == [1, 3, 5]
    target = tmp_path / "run-2.jsonl"
    assert invoke("show", "run-2", "--workdir", workdir, "--jsonl", target).exit_code == 0
    assert target.read_text() == result.output


def test_prove_prints_a_proof_that_verifies(workdir: Path) -> None:
    result = invoke("prove", "4", "--workdir", workdir)
    assert result.exit_code == 0, result.output
    *body, verdict = result.output.splitlines()
    assert InclusionProof.model_validate_json("\n".join(body)).seq == 4
    assert verdict == "verifies: yes"


def test_prove_of_an_unknown_record_is_a_usage_error(workdir: Path) -> None:
    result = invoke("prove", "42", "--workdir", workdir)
    assert result.exit_code == 2
    assert "no record 42" in result.output


def test_verify_of_a_missing_log_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("verify", "--workdir", tmp_path / "empty")
    assert result.exit_code == 2
    assert "no audit log" in result.output


def test_the_log_can_be_named_by_url_from_the_environment(workdir: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.db"
    (workdir / "audit.db").rename(moved)
    env = {"CADENCIA_AUDIT_URL": f"sqlite:///{moved}"}
    assert invoke("verify", "--workdir", workdir, env=env).exit_code == 0
    assert invoke("verify", "--workdir", workdir, "--audit-url", f"sqlite:///{moved}").exit_code == 0


def test_verify_accepts_a_pinned_public_key_without_the_private_key(workdir: Path, tmp_path: Path) -> None:
    assert invoke("checkpoint", "--workdir", workdir).exit_code == 0
    with AuditLog.open(workdir / "audit.db", key_path=workdir / "audit-signing-key.pem") as log:
        assert log.signing_key is not None
        public = log.signing_key.public_key()
    pinned = tmp_path / "audit.pub"
    pinned.write_text(public.public_bytes_raw().hex())
    (workdir / "audit-signing-key.pem").unlink()
    assert invoke("verify", "--workdir", workdir).exit_code == 2
    result = invoke("verify", "--workdir", workdir, "--public-key", pinned)
    assert result.exit_code == 0, result.output


def test_show_prints_redaction_markers_literally(workdir: Path) -> None:
    with AuditLog.open(workdir / "audit.db", key_path=workdir / "audit-signing-key.pem") as log:
        log.append(run_id="run-3", actor="human:[ops]", kind=AuditKind.APPROVAL, payload={"note": "ok ana@x.io"})
    result = invoke("show", "run-3", "--workdir", workdir)
    assert '"ok [redacted:email]"' in result.output and "human:[ops]" in result.output
