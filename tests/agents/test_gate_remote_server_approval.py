"""A server with its own approval store (another host's database) does not know the run's approval id: the gate
lets it ask, and answers its form with the person's approval given at the gate (asked once, run once)."""

from __future__ import annotations

from pathlib import Path

from helpers.agents import small_goal
from helpers.reviews import replies_to, unanswered

from cadencia.agents.actions import ProposedAction
from cadencia.agents.approvals import ApprovalChoice, ApprovalResponse
from cadencia.agents.connect import inprocess_toolbox
from cadencia.agents.facts_mcp import McpFacts
from cadencia.agents.gate import Gate
from cadencia.agents.guardrails import GuardrailEngine, default_policy
from cadencia.servers.app import full_registry
from cadencia.servers.context import Backends
from cadencia.servers.safety.setup import open_safety
from cadencia.tools.approvals import ApprovalState, ApprovalStore
from cadencia.tools.audit import AuditLog
from cadencia.tools.names import Reviews
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.store.store import Store

BODY = "Thank you for your review, we are glad the texture suits you."


async def test_an_approval_given_at_the_gate_answers_a_server_that_keeps_its_own_approvals(
    backends: Backends, store: Store, tmp_path: Path
):
    review_id = unanswered(store)
    with open_safety(default_server_policy(), root=tmp_path / "elsewhere", registry=full_registry()) as safety:
        async with inprocess_toolbox(backends, safety=safety) as toolbox:
            gate = Gate(
                run_id="run-remote",
                goal=small_goal(),
                engine=GuardrailEngine(default_policy()),
                facts=McpFacts(toolbox),
                audit=AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "key.pem"),
                approvals=ApprovalStore.open(tmp_path / "approvals.db"),
                toolbox=toolbox,
            )
            action = ProposedAction(id="a1", tool=Reviews.REPLY_TO_REVIEW, args={"review_id": review_id, "body": BODY})
            assessment = await gate.assess(action, executed=[])
            request = gate.request_approval(assessment)
            answer = ApprovalResponse(choice=ApprovalChoice.APPROVE, request_hash=request.request_hash, approver="ops")
            gate.record_answer(request, answer)
            executed = await gate.execute(assessment, approved_by="ops")
            assert executed.ok, executed.error
            (ticket,) = [r for r in safety.approvals.latest() if r.run_id is None]
            assert ticket.state is ApprovalState.APPROVED and ticket.used_at is not None
            assert "approved in run run-remote by ops" in ticket.note
    assert replies_to(store, review_id) == 1
