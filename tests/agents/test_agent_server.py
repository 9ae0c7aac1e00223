"""`langgraph dev` serves the Cadencia graph from the repository's `langgraph.json`: through the LangGraph SDK a
thread runs to the approval interrupt, is resumed with `Command(resume=…)`, and finishes with its report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers.http_serve import free_port
from langgraph_sdk import get_client
from langgraph_sdk.schema import Command

from cadencia.agents.runs import RunIndex, RunStatus
from cadencia.agents.workdir import Workdir
from cadencia.tools.audit import AuditLog

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0
OFFLINE = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
    # Anything that still tried to leave the machine would meet a closed port, not the internet.
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
}


@pytest.fixture
def agent_server(tmp_path: Path, seeded_sqlite_template: Path) -> Iterator[tuple[str, Path]]:
    """`langgraph dev` on a free loopback port, its workdir holding a seeded sandbox; stopped after the test."""
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    shutil.copyfile(seeded_sqlite_template, workdir / "sandbox.db")
    port = free_port()
    # The bundled goal, its review backlog answered over a month: a few approvals to answer, not one per review.
    goal = tmp_path / "goal.yaml"
    bundled = (REPO / "agents" / "goals" / "spring_launch.yaml").read_text(encoding="utf-8")
    goal.write_text(bundled.replace("constraints:\n", "constraints:\n  reply_within_days: 30\n", 1), encoding="utf-8")
    env = os.environ | OFFLINE
    env |= {"CADENCIA_WORKDIR": str(workdir), "CADENCIA_MAX_CYCLES": "1", "CADENCIA_GOAL": str(goal)}
    command = [str(Path(sys.executable).with_name("langgraph")), "dev", "--config", str(REPO / "langgraph.json")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-browser", "--no-reload", "--allow-blocking"]
    command += ["--server-log-level", "WARNING"]
    log = tmp_path / "langgraph-dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", workdir
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    print(log.read_text(errors="replace")[-3000:])


async def _wait_ready(client: Any) -> None:
    with anyio.fail_after(START_TIMEOUT_S):
        while True:
            try:
                await client.assistants.search(graph_id="cadencia")
                return
            except Exception:  # not listening yet: connection refused
                await anyio.sleep(0.2)


def _interrupt_of(values: dict[str, Any]) -> dict[str, Any] | None:
    """Our approval request from the thread's pending interrupt (LangChain's HITL shape, `cadencia` extension)."""
    pending = values.get("__interrupt__") or []
    if not pending:
        return None
    value = pending[0]["value"]
    assert value["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]
    return value["cadencia"]


def _answer(asked: dict[str, Any], turn: int) -> dict[str, Any]:
    """Alternately what Studio / Agent Inbox send (a standard decision) and our own answer, bound to the hash."""
    if turn % 2 == 0:
        return {"decisions": [{"type": "approve"}]}
    return {"choice": "approve", "request_hash": asked["assessment"]["request_hash"], "approver": "sdk-test"}


async def test_langgraph_dev_runs_a_thread_to_its_approval_and_resumes_it_to_the_report(
    agent_server: tuple[str, Path],
) -> None:
    url, workdir = agent_server
    client = get_client(url=url)
    await _wait_ready(client)
    thread = await client.threads.create()
    thread_id = thread["thread_id"]

    values = await client.runs.wait(thread_id, "cadencia", input={})
    asked = _interrupt_of(values)
    assert asked is not None, f"expected the run to pause on an approval, got {sorted(values)}"
    assert asked["run_id"] == thread_id and asked["assessment"]["decision"] == "require_approval"
    assert RunIndex(Workdir(workdir).runs).get(thread_id).state is RunStatus.WAITING_APPROVAL

    answered = []
    while asked is not None:
        answered.append(asked["approval_id"])
        resume = _answer(asked, len(answered))
        values = await client.runs.wait(thread_id, "cadencia", command=Command(resume=resume))
        asked = _interrupt_of(values)
        assert len(answered) < 20, "a one-cycle run asks a bounded number of approvals"

    report = values["report"]
    assert report["run_id"] == thread_id and report["cycles"] == 1
    assert report["approvals"].get("approved") == len(answered)
    assert RunIndex(Workdir(workdir).runs).get(thread_id).state is RunStatus.DONE
    state = await client.threads.get_state(thread_id)
    assert not state["next"], "the thread has nothing left to run"
    audit = AuditLog.open(Workdir(workdir).audit, key_path=Workdir(workdir).signing_key)
    try:
        kinds = [r.kind.value for r in audit.records(run_id=thread_id)]
        assert kinds[0] == "run" and kinds.count("approval") == len(answered)
        assert audit.verify().ok
    finally:
        audit.close()
