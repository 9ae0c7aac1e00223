"""The choke point as LangChain v1 middleware: a developer's own `create_agent` gets guardrails, approvals, audit."""

from __future__ import annotations

from pathlib import Path

from helpers.agents import small_goal
from helpers.chat import scripted
from langchain.agents import create_agent
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.gate import Gate
from cadencia.agents.guardrails import GuardrailEngine, StaticFacts, default_policy
from cadencia.agents.middleware import CadenciaMiddleware
from cadencia.tools.approvals import ApprovalStore
from cadencia.tools.audit import AuditLog
from cadencia.tools.reversibility import Reversibility

SENT: list[str] = []


@tool
def send_thank_you(customer_id: str) -> str:
    """Send a thank-you note to one customer (irreversible)."""
    SENT.append(customer_id)
    return f"sent to {customer_id}"


@tool
def crm_note(text: str) -> str:
    """Write an internal note (reversible)."""
    return "noted"


def _middleware(tmp_path: Path) -> CadenciaMiddleware:
    gate = Gate(
        run_id="mw-run",
        goal=small_goal(),
        engine=GuardrailEngine(default_policy()),
        facts=StaticFacts(),
        audit=AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "key.pem"),
        approvals=ApprovalStore.open(tmp_path / "approvals.db"),
        registry={"send_thank_you": Reversibility.IRREVERSIBLE, "crm_note": Reversibility.REVERSIBLE},
        actor="middleware",
    )
    return CadenciaMiddleware(gate)


async def test_an_irreversible_tool_pauses_for_approval_and_runs_once_approved(tmp_path: Path) -> None:
    SENT.clear()
    model = scripted([{"name": "send_thank_you", "args": {"customer_id": "C-1"}}])
    middleware = _middleware(tmp_path)
    agent = create_agent(model, [send_thank_you, crm_note], middleware=[middleware], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    await agent.ainvoke({"messages": [("user", "thank C-1")]}, config)
    snapshot = await agent.aget_state(config)
    assert snapshot.interrupts, "the irreversible call must pause for approval"
    assert SENT == []
    request = ApprovalRequest.model_validate(snapshot.interrupts[0].value)
    approval = ApprovalResponse(choice=ApprovalChoice.APPROVE, request_hash=request.request_hash, approver="ana")
    await agent.ainvoke(Command(resume=approval.model_dump(mode="json")), config)
    assert SENT == ["C-1"]
    kinds = [r.kind.value for r in middleware.gate.audit.records(run_id="mw-run")]
    assert {"proposal", "verdict", "approval", "execution"} <= set(kinds)
    assert middleware.gate.audit.verify().ok


async def test_a_rejected_call_never_runs_and_the_model_is_told(tmp_path: Path) -> None:
    SENT.clear()
    model = scripted([{"name": "send_thank_you", "args": {"customer_id": "C-2"}}])
    agent = create_agent(model, [send_thank_you], middleware=[_middleware(tmp_path)], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t2"}}
    await agent.ainvoke({"messages": [("user", "thank C-2")]}, config)
    request = ApprovalRequest.model_validate((await agent.aget_state(config)).interrupts[0].value)
    rejection = ApprovalResponse(choice=ApprovalChoice.REJECT, request_hash=request.request_hash, note="no")
    result = await agent.ainvoke(Command(resume=rejection.model_dump(mode="json")), config)
    assert SENT == []
    tool_messages = [m for m in result["messages"] if m.type == "tool"]
    assert tool_messages and tool_messages[-1].status == "error" and "rejected" in tool_messages[-1].content


async def test_an_unknown_tool_is_treated_as_irreversible(tmp_path: Path) -> None:
    @tool
    def mystery(x: int) -> str:
        """A third-party tool nobody classified."""
        return "done"

    model = scripted([{"name": "mystery", "args": {"x": 1}}])
    agent = create_agent(model, [mystery], middleware=[_middleware(tmp_path)], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t3"}}
    await agent.ainvoke({"messages": [("user", "go")]}, config)
    request = ApprovalRequest.model_validate((await agent.aget_state(config)).interrupts[0].value)
    assert request.assessment.reversibility is Reversibility.IRREVERSIBLE
