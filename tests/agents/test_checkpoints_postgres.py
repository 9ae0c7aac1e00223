"""Graph checkpoints on PostgreSQL (CADENCIA_TEST_PG_URL): a run paused on an approval resumes from a new session."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from helpers.agents import answer, irreversible_calls, small_goal

from cadencia.agents.approvals import ApprovalChoice
from cadencia.agents.checkpoints import open_checkpointer
from cadencia.agents.driver import DriveStatus, drive, pending_approval
from cadencia.agents.planners.heuristic import HeuristicPlanner
from cadencia.agents.session import AgentSession, open_session
from cadencia.agents.workdir import Workdir
from cadencia.tools.names import base_name
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.store import Store

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_run_id(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """A unique run id whose checkpoints go to PostgreSQL (via CADENCIA_CHECKPOINT_URL); deleted afterwards."""
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test to run PostgreSQL tests")
    monkeypatch.setenv("CADENCIA_CHECKPOINT_URL", PG_URL)
    run_id = f"run-pg-{uuid.uuid4().hex[:12]}"
    yield run_id
    async with open_checkpointer(PG_URL) as saver:
        await saver.adelete_thread(run_id)


async def stored_checkpoints(run_id: str) -> int:
    """Checkpoints of the run as a third, independent PostgreSQL connection sees them."""
    assert PG_URL
    async with open_checkpointer(PG_URL) as saver:
        return len([c async for c in saver.alist({"configurable": {"thread_id": run_id}})])


def session(store: Store, workdir: Workdir, run_id: str) -> AbstractAsyncContextManager[AgentSession]:
    """A new session (and so a new checkpointer connection) for the run: what a second process would open."""
    return open_session(
        workdir=workdir, goal=small_goal(), run_id=run_id, planner=HeuristicPlanner(), store=store, max_cycles=1
    )


async def test_a_run_paused_on_an_approval_is_resumed_by_a_second_session_over_postgres_checkpoints(
    store: Store, tmp_path: Path, pg_run_id: str
) -> None:
    workdir = Workdir.at(tmp_path / "work")
    assert workdir.checkpoints == PG_URL

    async with session(store, workdir, pg_run_id) as first:
        assert type(first.graph.checkpointer).__name__ == "AsyncPostgresSaver"
        paused = await drive(first)
    assert paused.status is DriveStatus.WAITING_APPROVAL and paused.pending is not None
    assert paused.pending.assessment.reversibility is Reversibility.IRREVERSIBLE
    assert await stored_checkpoints(pg_run_id) > 0 and not (tmp_path / "work" / "checkpoints.db").exists()
    assert irreversible_calls(store) == []

    async with session(store, workdir, pg_run_id) as second:
        seen = await pending_approval(second)
        assert seen is not None
        assert (seen.approval_id, seen.request_hash) == (paused.pending.approval_id, paused.pending.request_hash)
        other = await second.graph.aget_state({"configurable": {"thread_id": f"{pg_run_id}-other"}})
        assert other.interrupts == () and other.values == {}
        resumed = await drive(
            second, resume=answer(ApprovalChoice.APPROVE)(seen), approver=answer(ApprovalChoice.REJECT)
        )
        state = (await second.graph.aget_state(second.config)).values
    assert resumed.status is DriveStatus.DONE and resumed.report is not None
    tool = base_name(paused.pending.assessment.action.tool)
    assert irreversible_calls(store) == [tool]
    approved = [e for e in state["executed"] if e.action_id == paused.pending.assessment.action.id]
    assert len(approved) == 1 and approved[0].ok and approved[0].approved_by == "test"
