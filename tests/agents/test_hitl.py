"""Standard approval payloads: the graph's interrupt is LangChain's HITLRequest and its decisions resume the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_type_hints

import pytest
from helpers.agents import answer, irreversible_calls, session_for
from helpers.inbox import paused_run
from langchain.agents.middleware.human_in_the_loop import ActionRequest, HITLRequest, ReviewConfig
from typer.testing import CliRunner

from cadencia.agents.approvals import ApprovalChoice, ApprovalStatus
from cadencia.agents.driver import DriveStatus, drive
from cadencia.agents.hitl import EXTENSION, HitlAnswerError, approval_request_of, resume_response, standard_decision
from cadencia.cli import app
from cadencia.tools.approvals import ApprovalState, ApprovalStore
from cadencia.tools.names import base_name
from cadencia.tools.store.store import Store


def _keys(typed: type) -> set[str]:
    return set(get_type_hints(typed))


async def _paused(session: Any) -> tuple[dict[str, Any], Any]:
    result = await drive(session)
    assert result.status is DriveStatus.WAITING_APPROVAL and result.pending is not None
    snapshot = await session.graph.aget_state(session.config)
    return snapshot.interrupts[0].value, result.pending


async def test_the_interrupt_is_a_hitl_request_and_both_answer_shapes_resolve(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        value, pending = await _paused(session)
    assert set(value) == _keys(HITLRequest) | {EXTENSION}
    (action,) = value["action_requests"]
    (review,) = value["review_configs"]
    assert set(action) <= _keys(ActionRequest) and set(review) <= _keys(ReviewConfig)
    assert action["name"] == review["action_name"] == pending.assessment.action.tool
    assert action["args"] == pending.assessment.effective_args
    assert review["allowed_decisions"] == ["approve", "edit", "reject"]
    assert pending.request_hash in action["description"]
    extension = value[EXTENSION]
    assert extension["assessment"]["request_hash"] == pending.request_hash
    assert extension["assessment"]["reversibility"] == "irreversible"
    assert extension["assessment"]["verdicts"], "the verdicts ride in the extension field"
    assert approval_request_of(value) == pending
    assert approval_request_of(extension) == pending, "a bare request (older checkpoints) still reads"
    for choice in (ApprovalChoice.APPROVE, ApprovalChoice.REJECT):
        ours = answer(choice, note="why")(pending)
        assert resume_response(standard_decision(ours, action["name"]), pending) == ours
        assert resume_response(ours.model_dump(mode="json"), pending) == ours, "our own answers still resume"
    malformed: list[tuple[Any, str]] = [
        ({"decisions": []}, "decisions"),
        ({"type": "maybe"}, "decision.type"),
        ({"type": "edit"}, "decision.edited_action"),
        ({"choice": "approve"}, "resume"),
    ]
    for bad, field in malformed:
        with pytest.raises(HitlAnswerError, match=field):
            resume_response(bad, pending)


async def test_a_standard_approve_decision_resumes_and_runs_the_action_once(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        _, pending = await _paused(session)
        await drive(session, resume={"decisions": [{"type": "approve"}]}, approver=answer(ApprovalChoice.REJECT))
        state = (await session.graph.aget_state(session.config)).values
    first = state["approvals"][0]
    assert first.status is ApprovalStatus.APPROVED and first.approver == "hitl"
    assert irreversible_calls(store).count(base_name(pending.assessment.action.tool)) == 1


async def test_a_standard_reject_keeps_its_message_as_the_note(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        await _paused(session)
        await drive(
            session, resume={"type": "reject", "message": "not this week"}, approver=answer(ApprovalChoice.REJECT)
        )
        state = (await session.graph.aget_state(session.config)).values
    assert state["approvals"][0].status is ApprovalStatus.REJECTED
    assert state["approvals"][0].note == "not this week"
    assert irreversible_calls(store) == []


async def test_a_standard_edit_is_guarded_again_and_can_be_refused(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        _, pending = await _paused(session)
        args = dict(pending.assessment.effective_args)
        assert "body" in args, "the first approval of the small goal is a reply or message with a body"
        args["body"] = "Call me at +34 612 345 678 or write to ana.garcia@example.com"
        edit = {"type": "edit", "edited_action": {"name": pending.assessment.action.tool, "args": args}}
        await drive(session, resume=[edit], approver=answer(ApprovalChoice.REJECT))
        state = (await session.graph.aget_state(session.config)).values
    assert state["approvals"][0].status is ApprovalStatus.EDITED
    refused = [r for r in state["rejections"] if r.action_id == f"{pending.assessment.action.id}e"]
    assert refused, "the edited action should have been guarded again and refused"
    assert "pii" in refused[0].by or "pii" in refused[0].reason.lower()
    assert irreversible_calls(store) == []


async def test_a_decision_bound_to_another_hash_is_a_mismatch_not_an_approval(store: Store, tmp_path: Path) -> None:
    async with session_for(store, tmp_path) as session:
        await _paused(session)
        stale = {"type": "approve", EXTENSION: {"request_hash": "0" * 64, "approver": "ana"}}
        await drive(session, resume=stale, approver=answer(ApprovalChoice.REJECT))
        state = (await session.graph.aget_state(session.config)).values
    assert state["approvals"][0].status is ApprovalStatus.MISMATCH
    assert irreversible_calls(store) == []


def test_the_cli_takes_the_same_standard_decisions(tmp_path: Path, seeded_sqlite_template: Path) -> None:
    paused = paused_run(tmp_path, seeded_sqlite_template)
    where = ["--workdir", str(paused.workdir.root)]
    bad = CliRunner().invoke(app, ["approvals", "decide", paused.approval_id, '{"type": "edit"}', *where])
    assert bad.exit_code == 2 and "decision.edited_action" in bad.output
    reject = '{"type": "reject", "message": "not during the launch"}'
    done = CliRunner().invoke(app, ["approvals", "decide", paused.approval_id, reject, *where], env={"COLUMNS": "200"})
    assert done.exit_code in (0, 3), done.output
    store = ApprovalStore.open(paused.workdir.approvals)
    record = store.with_id(paused.approval_id)[0]
    store.close()
    assert (record.state, record.note, record.approver) == (ApprovalState.REJECTED, "not during the launch", "hitl")
