"""A client that is not our graph, over streamable HTTP with a token: its write is audited under its subject, the
log verifies, and a person approving with another token lets exactly its approved call run."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers.http_serve import serving_http
from typer.testing import CliRunner

from cadencia.agents.mcp_client import http_client
from cadencia.cli import app

WRITER, APPROVER = "writer-token-123", "approver-token-123"


@pytest.fixture
def server(seeded_sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db, root = tmp_path / "sandbox.db", tmp_path / "workdir"
    shutil.copyfile(seeded_sqlite_template, db)
    args = ["all", "--db", str(db), "--workdir", str(root)]
    args += ["--token", f"{WRITER}:read,write", "--token", f"{APPROVER}:read,approve"]
    with serving_http(args) as served:
        yield served.url, root


async def _call(url: str, token: str, tool: str, args: dict[str, Any]) -> tuple[bool, str, Any]:
    async with http_client(url, token=token) as client:
        result = await client.call_tool(tool, args)
        return bool(result.is_error), result.content[0].text, result.structured_content  # type: ignore[union-attr]


async def test_a_non_graph_http_client_is_audited_and_approved_by_another_token(server: tuple[str, Path]) -> None:
    url, root = server
    with anyio.fail_after(60):
        failed, text, _ = await _call(url, WRITER, "ads_pause_campaign", {"campaign_id": "CMP-GO000"})
        assert not failed, text
        failed, text, _ = await _call(
            url, WRITER, "crm_send_now", {"message_id": "MSG-000000", "segment_id": "SEG-VIP"}
        )
        assert failed and text.startswith("approval required: srv-")
        approval_id = text.split("approval required: ", 1)[1].split(" ", 1)[0]
        failed, text, _ = await _call(
            url, WRITER, "approvals_answer", {"approval_id": approval_id, "decision": "approve"}
        )
        assert failed and "'approve' scope" in text
        failed, text, answer = await _call(
            url, APPROVER, "approvals_answer", {"approval_id": approval_id, "decision": "reject", "note": "no"}
        )
        assert not failed and answer["state"] == "rejected", text
    runner = CliRunner()
    shown = runner.invoke(app, ["audit", "show", "mcp:token-0", "--workdir", str(root), "--format", "jsonl"])
    assert shown.exit_code == 0, shown.output
    records = [json.loads(line) for line in shown.output.splitlines() if line.strip()]
    executed = [r for r in records if r["kind"] == "execution"]
    assert [r["payload"]["tool"] for r in executed] == ["ads_pause_campaign"]
    assert executed[0]["payload"]["subject"] == "token-0" and executed[0]["payload"]["undo_token"]
    assert any(r["payload"]["tool"] == "crm_send_now" and r["payload"]["outcome"] == "refused" for r in records)
    verified = runner.invoke(app, ["audit", "verify", "--workdir", str(root)])
    assert verified.exit_code == 0, verified.output
