"""A `create_agent` agent whose MCP server asks for a person (elicitation / input-required): the question becomes a
LangGraph interrupt answered through the agent's approval path, and the call is retried with the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers.agents import small_goal
from helpers.chat import scripted
from helpers.reviews import replies_to, unanswered
from langchain.agents import create_agent
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from cadencia.agents.approvals import ApprovalChoice, ApprovalResponse
from cadencia.agents.facts_mcp import McpFacts
from cadencia.agents.gate import Gate
from cadencia.agents.guardrails import GuardrailEngine, default_policy
from cadencia.agents.hitl import approval_request_of
from cadencia.agents.mcp_client import memory_client
from cadencia.agents.mcp_tools import load_tools
from cadencia.agents.middleware import CadenciaMiddleware
from cadencia.agents.server_forms import ServerForms
from cadencia.agents.toolbox import Toolbox
from cadencia.servers.app import Capability, build_server, full_registry
from cadencia.servers.context import Backends
from cadencia.servers.safety.setup import open_safety
from cadencia.tools.approvals import ApprovalState, ApprovalStore
from cadencia.tools.audit import AuditLog
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.store import Store

BODY = "Thank you for your review, we are glad the texture suits you."
TOOL = "reviews_reply_to_review"


@asynccontextmanager
async def agent_over_guarded_server(
    backends: Backends, tmp_path: Path, mode: str, **autonomy: Any
) -> AsyncIterator[tuple[Any, Any]]:
    """A create_agent agent with our middleware, over the combined server held to the shipped server policy."""
    server_root = tmp_path / "server"
    with open_safety(default_server_policy(), root=server_root, registry=full_registry()) as safety:
        server = build_server(Capability.ALL, backends=backends, safety=safety)
        forms = ServerForms()
        async with memory_client(server, mode=mode, elicitation=forms) as client:
            toolbox = Toolbox.of(await load_tools(client, forms))
            gate = Gate(
                run_id="mw-asks",
                goal=small_goal(**autonomy),
                engine=GuardrailEngine(default_policy()),
                facts=McpFacts(toolbox),
                audit=AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "key.pem"),
                approvals=ApprovalStore.open(tmp_path / "approvals.db"),
                toolbox=toolbox,
                actor="middleware",
            )
            yield gate, safety, toolbox


def _answer(snapshot: Any, choice: ApprovalChoice) -> dict[str, Any]:
    request = approval_request_of(snapshot.interrupts[0].value)
    return ApprovalResponse(choice=choice, request_hash=request.request_hash, approver="ana").model_dump(mode="json")


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_the_servers_question_is_an_interrupt_and_the_approved_call_runs_once(
    backends: Backends, store: Store, tmp_path: Path, mode: str
):
    review_id = unanswered(store)
    everything = [Reversibility.READ, Reversibility.REVERSIBLE, Reversibility.COMPENSABLE, Reversibility.IRREVERSIBLE]
    async with agent_over_guarded_server(backends, tmp_path, mode, auto_approve=everything) as (gate, safety, toolbox):
        model = scripted([{"name": TOOL, "args": {"review_id": review_id, "body": BODY}}])
        agent = create_agent(
            model, list(toolbox.tools.values()), middleware=[CadenciaMiddleware(gate)], checkpointer=InMemorySaver()
        )
        config: RunnableConfig = {"configurable": {"thread_id": "asks"}}
        await agent.ainvoke({"messages": [("user", "answer the review")]}, config)
        snapshot = await agent.aget_state(config)
        assert snapshot.interrupts, "the server's question must pause the agent"
        request = approval_request_of(snapshot.interrupts[0].value)
        (server_verdict,) = [v for v in request.assessment.verdicts if v.rule == "server-policy"]
        assert "Request hash: " in server_verdict.reason and "irreversible" in server_verdict.reason
        assert replies_to(store, review_id) == 0
        await agent.ainvoke(Command(resume=_answer(snapshot, ApprovalChoice.APPROVE)), config)
        assert not (await agent.aget_state(config)).interrupts
        (ticket,) = [r for r in safety.approvals.latest() if r.run_id is None]
        assert ticket.state is ApprovalState.APPROVED and ticket.used_at is not None
        assert ticket.approver == "elicitation:local"
        executions = [r for r in gate.audit.records(run_id="mw-asks") if r.kind.value == "execution"]
        assert len(executions) == 1 and executions[0].payload["ok"] is True
    assert replies_to(store, review_id) == 1


async def test_a_rejected_server_question_declines_and_nothing_runs(backends: Backends, store: Store, tmp_path: Path):
    review_id = unanswered(store)
    everything = [Reversibility.READ, Reversibility.REVERSIBLE, Reversibility.COMPENSABLE, Reversibility.IRREVERSIBLE]
    async with agent_over_guarded_server(backends, tmp_path, "2026-07-28", auto_approve=everything) as (
        gate,
        safety,
        toolbox,
    ):
        model = scripted([{"name": TOOL, "args": {"review_id": review_id, "body": BODY}}])
        agent = create_agent(
            model, list(toolbox.tools.values()), middleware=[CadenciaMiddleware(gate)], checkpointer=InMemorySaver()
        )
        config: RunnableConfig = {"configurable": {"thread_id": "declined"}}
        await agent.ainvoke({"messages": [("user", "answer the review")]}, config)
        snapshot = await agent.aget_state(config)
        await agent.ainvoke(Command(resume=_answer(snapshot, ApprovalChoice.REJECT)), config)
        messages = (await agent.aget_state(config)).values["messages"]
        (told,) = [m for m in messages if m.type == "tool"]
        assert told.status == "error" and "declined" in str(told.content)
        (ticket,) = [r for r in safety.approvals.latest() if r.run_id is None]
        assert ticket.state is ApprovalState.REJECTED
    assert replies_to(store, review_id) == 0


async def test_an_approval_given_in_the_agent_answers_the_server_without_a_second_question(
    backends: Backends, store: Store, tmp_path: Path
):
    review_id = unanswered(store)
    async with agent_over_guarded_server(backends, tmp_path, "2026-07-28") as (gate, safety, toolbox):
        model = scripted([{"name": TOOL, "args": {"review_id": review_id, "body": BODY}}])
        agent = create_agent(
            model, list(toolbox.tools.values()), middleware=[CadenciaMiddleware(gate)], checkpointer=InMemorySaver()
        )
        config: RunnableConfig = {"configurable": {"thread_id": "once"}}
        await agent.ainvoke({"messages": [("user", "answer the review")]}, config)
        snapshot = await agent.aget_state(config)
        assert len(snapshot.interrupts) == 1
        await agent.ainvoke(Command(resume=_answer(snapshot, ApprovalChoice.APPROVE)), config)
        assert not (await agent.aget_state(config)).interrupts, "the person is asked once"
        (ticket,) = [r for r in safety.approvals.latest() if r.run_id is None]
        assert ticket.state is ApprovalState.APPROVED and "ana" in ticket.note
    assert replies_to(store, review_id) == 1
