"""The same choke point for any LangChain v1 agent: `create_agent(model, tools, middleware=[CadenciaMiddleware(...)])`.

Every tool call the model makes is evaluated by the guardrail policy, classified for reversibility (a tool the
registry does not know is irreversible), paused for approval with a LangGraph interrupt when required, run
with an idempotency key when the tool accepts one, and written to the audit log. What a decision depends on (the
calls that ran, the third-party text every tool result carried) lives in the agent's checkpointed state, not in
this object, so an agent resumed in another process decides as the original would have.

When an MCP server itself asks for a person (its client built with `ServerForms`: elicitation, or an
input-required result), the question becomes the same kind of interrupt; the call is retried with the answer,
and a call a person already approved here is answered without asking again.
"""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NotRequired

from langchain.agents.middleware import AgentMiddleware, AgentState
from langchain.agents.middleware.types import OmitFromInput
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, interrupt

from cadencia.agents.actions import Assessment, Decision, ExecutedAction, ProposedAction
from cadencia.agents.approvals import ApprovalStatus, edited_action
from cadencia.agents.gate import IDEMPOTENCY_ARG, Gate
from cadencia.agents.hitl import hitl_request, resume_response
from cadencia.agents.server_forms import FORM_ANSWER_ARG, QUESTION_ARTIFACT, FormAnswer, ServerQuestion, answer_for
from cadencia.agents.taint import UntrustedText, in_view, merge_untrusted, untrusted_texts
from cadencia.agents.toolbox import ToolOutcome, accepts_argument, untrusted_paths_of

Handler = Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]]


class CadenciaState(AgentState[Any]):
    """The agent's state plus what the choke point decides from: the calls that ran and the untrusted text seen."""

    # LangGraph takes the last Annotated item as the reducer.
    cadencia_executed: NotRequired[Annotated[list[ExecutedAction], OmitFromInput, operator.add]]
    cadencia_untrusted: NotRequired[Annotated[list[UntrustedText], OmitFromInput, merge_untrusted]]


def _refusal(call_id: str, text: str) -> ToolMessage:
    return ToolMessage(content=text, tool_call_id=call_id, status="error")


def _message_of(result: ToolMessage | Command[Any], call_id: str) -> ToolMessage | None:
    if isinstance(result, ToolMessage):
        return result
    update = result.update if isinstance(result.update, dict) else {}
    found = [m for m in update.get("messages", []) if isinstance(m, ToolMessage) and m.tool_call_id == call_id]
    return found[0] if found else None


def _with_state(result: ToolMessage | Command[Any], update: dict[str, Any]) -> Command[Any]:
    """The tool's answer as a Command that also updates the choke point's state."""
    if isinstance(result, ToolMessage):
        return Command(update={"messages": [result], **update})
    if isinstance(result.update, dict):
        merged = dict(result.update)
        for key, values in update.items():
            merged[key] = [*merged.get(key, []), *values]
        return Command(graph=result.graph, update=merged, resume=result.resume, goto=result.goto)
    return result


def _question_in(message: ToolMessage | None) -> ServerQuestion | None:
    """The question a server asked during the call and nobody answered yet (the tool's artifact names it)."""
    artifact = message.artifact if message is not None and isinstance(message.artifact, dict) else {}
    found = artifact.get(QUESTION_ARTIFACT)
    return ServerQuestion.model_validate(found) if isinstance(found, dict) else None


class CadenciaMiddleware(AgentMiddleware[CadenciaState]):
    """Guardrails, reversibility, approvals, idempotency and audit around every tool call of an agent."""

    state_schema = CadenciaState

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate

    async def awrap_tool_call(self, request: ToolCallRequest, handler: Handler) -> ToolMessage | Command[Any]:
        call = request.tool_call
        call_id = call.get("id") or "call"
        state = request.state if isinstance(request.state, dict) else {}
        executed: list[ExecutedAction] = state.get("cadencia_executed", [])
        untrusted = in_view(state.get("cadencia_untrusted", []))
        action = ProposedAction(id=call_id, tool=call["name"], args=call["args"], source="middleware")
        approver: str | None = None
        while True:
            assessment = await self.gate.evaluate(action, executed=executed, untrusted=untrusted)
            if assessment.decision is Decision.DENY:
                self.gate.record_assessment(assessment)
                return _refusal(call_id, f"Refused by guardrails ({assessment.denial}). Do not retry this call as is.")
            if assessment.decision is not Decision.REQUIRE_APPROVAL:
                self.gate.record_assessment(assessment)
                break
            approval = self.gate.request_approval(assessment)
            response = resume_response(interrupt(hitl_request(approval)), approval)
            outcome = self.gate.record_answer(approval, response, audit_request=True)
            if outcome.status is ApprovalStatus.APPROVED:
                approver = outcome.approver
                break
            if outcome.status is ApprovalStatus.EDITED and response.edited_args is not None:
                action = edited_action(action, response)
                continue
            return _refusal(call_id, f"Not approved ({outcome.status.value}). {outcome.note}".strip())
        return await self._execute(request, handler, assessment, approver)

    def _answer_server(
        self, assessment: Assessment, question: ServerQuestion, approver: str | None
    ) -> tuple[FormAnswer, str | None]:
        """The server wants a person for this call: the one who already approved it here answers (no second
        question); otherwise ask ours through the same approval path (a LangGraph interrupt) and answer with that."""
        if approver is not None:
            return answer_for(question, approved=True, note=f"approved in the agent by {approver}"), approver
        asked = self.gate.server_requires_approval(assessment, question.message)
        approval = self.gate.request_approval(asked)
        response = resume_response(interrupt(hitl_request(approval)), approval)
        outcome = self.gate.record_answer(approval, response, audit_request=True)
        approved = outcome.status is ApprovalStatus.APPROVED
        return answer_for(question, approved=approved, note=outcome.note), outcome.approver if approved else None

    async def _execute(
        self, request: ToolCallRequest, handler: Handler, assessment: Assessment, approver: str | None
    ) -> ToolMessage | Command[Any]:
        call_id = request.tool_call.get("id") or "call"
        args, key = self.gate.call_args(assessment, accepts_key=accepts_argument(request.tool, IDEMPOTENCY_ARG))
        answer: FormAnswer | None = None
        while True:
            sent = args if answer is None else {**args, FORM_ANSWER_ARG: answer.model_dump(mode="json")}
            with self.gate.traced_call(assessment, key=key, approved_by=approver) as traced:
                result = await handler(request.override(tool_call={**request.tool_call, "args": sent}))
                message = _message_of(result, call_id)
                question = _question_in(message) if answer is None else None
                if question is None:
                    outcome = ToolOutcome.from_message(message) if message is not None else ToolOutcome(ok=True)
                    executed = self.gate.record_execution(
                        assessment, outcome, key=key, approved_by=approver, traced=traced
                    )
                    break
            answer, approver = self._answer_server(assessment, question, approver)
        tool = assessment.action.tool
        seen = untrusted_texts(tool, outcome.payload, untrusted_paths_of(request.tool))
        return _with_state(result, {"cadencia_executed": [executed], "cadencia_untrusted": seen})
