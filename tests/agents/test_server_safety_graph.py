"""The graph against servers that hold their own policy (stdio, `cadencia serve all`): one question per action."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
from helpers.agents import irreversible_calls, small_goal

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.driver import DriveStatus, drive
from cadencia.agents.planners.heuristic import HeuristicPlanner
from cadencia.agents.session import open_session
from cadencia.agents.workdir import Workdir
from cadencia.tools.audit import AuditLog
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.store import Store


async def test_the_graph_over_stdio_asks_a_person_once_per_action(seeded_sqlite_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "work"
    root.mkdir()
    shutil.copyfile(seeded_sqlite_template, root / "sandbox.db")
    asked: list[str] = []

    def approver(request: ApprovalRequest) -> ApprovalResponse:
        asked.append(request.approval_id)
        return ApprovalResponse(choice=ApprovalChoice.APPROVE, request_hash=request.request_hash, approver="ops")

    where = Workdir.at(root)
    with anyio.fail_after(240):
        async with open_session(
            workdir=where,
            goal=small_goal(),
            run_id="run-stdio",
            planner=HeuristicPlanner(),
            servers="stdio",
            max_cycles=1,
        ) as session:
            result = await drive(session, approver=approver)
            executed = (await session.graph.aget_state(session.config)).values["executed"]
    assert result.status is DriveStatus.DONE
    irreversible = [e for e in executed if e.reversibility is Reversibility.IRREVERSIBLE]
    assert irreversible, "the heuristic run should include an irreversible action"
    assert all(e.ok for e in executed), [e.error for e in executed if not e.ok]
    assert all(e.approved_by == "ops" for e in irreversible)
    approved = [e for e in executed if e.approved_by is not None]
    assert len(asked) == len(set(asked)) == len(approved), "one question per action, none from the server"
    store = Store.open(root / "sandbox.db", create=False)
    try:
        assert len(irreversible_calls(store)) == len(irreversible)
    finally:
        store.close()
    with AuditLog.open(where.audit, key_path=where.signing_key) as log:
        server_side = [r for r in log.records(run_id="mcp:local") if r.kind == "execution"]
        assert {r.payload["approval"]["approval_id"] for r in server_side if r.payload["approval"]} == set(asked)
        assert log.verify().ok
