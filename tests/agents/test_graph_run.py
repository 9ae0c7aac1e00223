"""The agent graph end to end on the in-process sandbox: what runs, what waits, what is refused, what rolls back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers.agents import answer, irreversible_calls, session_for, small_goal
from sqlalchemy import text

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse, ApprovalStatus
from cadencia.agents.driver import DriveStatus, drive
from cadencia.agents.executions import RunExecutions
from cadencia.agents.rollback import RollbackStatus, rollback
from cadencia.tools.names import base_name
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.store import Store


async def test_reversible_actions_run_and_the_first_irreversible_one_waits(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        result = await drive(session)
        state = (await session.graph.aget_state(session.config)).values
    assert result.status is DriveStatus.WAITING_APPROVAL
    assert result.pending is not None
    assert result.pending.assessment.reversibility is Reversibility.IRREVERSIBLE
    assert [e for e in state["executed"] if e.ok], "reversible actions should have run without approval"
    assert all(e.reversibility is not Reversibility.IRREVERSIBLE for e in state["executed"])
    assert irreversible_calls(store) == []


async def test_rejected_irreversible_actions_never_reach_the_world(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        result = await drive(session, approver=answer(ApprovalChoice.REJECT, note="not now"))
        state = (await session.graph.aget_state(session.config)).values
    assert result.status is DriveStatus.DONE and result.report is not None
    assert irreversible_calls(store) == []
    assert result.report.approvals.get("rejected", 0) >= 1
    assert all(o.status is ApprovalStatus.REJECTED for o in state["approvals"])


async def test_approved_irreversible_action_runs_exactly_once(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        first = await drive(session)
        assert first.pending is not None
        tool = first.pending.assessment.action.tool
        await drive(
            session, resume=answer(ApprovalChoice.APPROVE)(first.pending), approver=answer(ApprovalChoice.REJECT)
        )
    assert irreversible_calls(store).count(base_name(tool)) == 1


async def test_rollback_restores_the_store_state_hash(store: Store, tmp_path: Path) -> None:
    before = store.state_hash()
    async with session_for(store, tmp_path) as session:
        await drive(session, approver=answer(ApprovalChoice.REJECT))
        assert store.state_hash() != before
        executed = (await session.graph.aget_state(session.config)).values["executed"]
        report = await rollback(
            RunExecutions.of(session.run_id, executed), toolbox=session.toolbox, audit=session.audit
        )
    assert report.complete
    assert report.count(RollbackStatus.UNDONE) == sum(1 for e in executed if e.ok)
    assert store.state_hash() == before


async def test_an_edited_approval_is_guarded_again(store: Store, tmp_path: Path) -> None:
    def edit_with_pii(request: ApprovalRequest) -> ApprovalResponse:
        args = dict(request.assessment.effective_args)
        if "body" in args:
            args["body"] = "Call me at +34 612 345 678 or write to ana.garcia@example.com"
        return ApprovalResponse(
            choice=ApprovalChoice.EDIT, request_hash=request.request_hash, approver="test", edited_args=args
        )

    async with session_for(store, tmp_path) as session:
        await drive(session, approver=edit_with_pii)
        state = (await session.graph.aget_state(session.config)).values
    edited = [r for r in state["rejections"] if r.action_id.endswith("e")]
    assert edited, "the edited action should have been guarded again and refused"
    assert any("pii" in r.by or "pii" in r.reason.lower() for r in edited)
    assert irreversible_calls(store) == []


async def test_an_expired_approval_is_recorded_as_expired_not_rejected(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        await drive(session, approver=answer(ApprovalChoice.EXPIRE))
        state = (await session.graph.aget_state(session.config)).values
    statuses = {o.status for o in state["approvals"]}
    assert statuses == {ApprovalStatus.EXPIRED}
    assert irreversible_calls(store) == []


async def test_an_approval_for_another_request_does_not_execute(store: Store, tmp_path: Path) -> None:
    def wrong_hash(request: ApprovalRequest) -> ApprovalResponse:
        return ApprovalResponse(choice=ApprovalChoice.APPROVE, request_hash="0" * 64, approver="test")

    async with session_for(store, tmp_path) as session:
        await drive(session, approver=wrong_hash)
        state = (await session.graph.aget_state(session.config)).values
    assert {o.status for o in state["approvals"]} == {ApprovalStatus.MISMATCH}
    assert irreversible_calls(store) == []


async def test_the_audit_log_of_a_run_verifies_and_names_an_edited_record(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        await drive(session, approver=answer(ApprovalChoice.REJECT))
        assert session.audit.verify().ok
        kinds = {r.kind.value for r in session.audit.records(run_id=session.run_id)}
        assert {"proposal", "verdict", "approval", "execution", "observation", "run"} <= kinds
        with session.audit.engine.begin() as conn:
            conn.execute(text("UPDATE audit_records SET payload = '{\"tampered\": true}' WHERE seq = 5"))
        report = session.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == 5


async def test_an_approval_answered_after_its_deadline_expires_though_the_approve_node_re_runs(
    store: Store, tmp_path: Path
) -> None:
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
    async with session_for(store, tmp_path, goal=small_goal(approval_timeout_hours=2)) as session:
        session.context = replace(session.context, gate=replace(session.context.gate, clock=lambda: now[0]))
        first = await drive(session)
        assert first.pending is not None and first.pending.expires_at == now[0] + timedelta(hours=2)
        now[0] += timedelta(hours=3)
        await drive(
            session, resume=answer(ApprovalChoice.APPROVE)(first.pending), approver=answer(ApprovalChoice.REJECT)
        )
        state = (await session.graph.aget_state(session.config)).values
        stored = session.context.gate.approvals.get(first.pending.approval_id, first.pending.request_hash)
    outcome = next(a for a in state["approvals"] if a.approval_id == first.pending.approval_id)
    assert outcome.status is ApprovalStatus.EXPIRED
    assert stored is not None and stored.expires_at == first.pending.expires_at
    assert first.pending.assessment.action.id not in {e.action_id for e in state["executed"]}
    assert irreversible_calls(store) == []
