"""The same choke point for any LangChain v1 agent: `create_agent(model, tools, middleware=[CadenciaMiddleware(...)])`.

Every tool call the model makes is evaluated by the guardrail policy, classified for reversibility (a tool the
registry does not know is irreversible), paused for approval with a LangGraph interrupt when required, run
with an idempotency key when the tool accepts one, and written to the audit log. One middleware per run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, interrupt

from cadencia.agents.actions import Assessment, Decision, ExecutedAction, ProposedAction
from cadencia.agents.approvals import (
    ApprovalOutcome,
    ApprovalRequest,
    ApprovalResponse,
    ApprovalStatus,
    approval_status,
)
from cadencia.agents.gate import Gate, idempotency_key
from cadencia.agents.toolbox import ToolOutcome, message_text
from cadencia.tools.audit import AuditKind

Handler = Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]]


def _refusal(call_id: str, text: str) -> ToolMessage:
    return ToolMessage(content=text, tool_call_id=call_id, status="error")


class CadenciaMiddleware(AgentMiddleware):
    """Guardrails, reversibility, approvals, idempotency and audit around every tool call of an agent."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate
        self.executed: list[ExecutedAction] = []

    async def awrap_tool_call(self, request: ToolCallRequest, handler: Handler) -> ToolMessage | Command[Any]:
        call = request.tool_call
        call_id = call.get("id") or "call"
        action = ProposedAction(id=call_id, tool=call["name"], args=call["args"], source="middleware")
        approver: str | None = None
        while True:
            assessment = await self.gate.evaluate(action, executed=self.executed)
            if assessment.decision is Decision.DENY:
                self.gate.record_assessment(assessment)
                reasons = "; ".join(f"{v.rule}: {v.reason}" for v in assessment.verdicts if v.decision is Decision.DENY)
                return _refusal(call_id, f"Refused by guardrails ({reasons}). Do not retry this call as is.")
            if assessment.decision is not Decision.REQUIRE_APPROVAL:
                self.gate.record_assessment(assessment)
                break
            response = self._ask(assessment)  # interrupt: nothing above this line wrote anything
            self.gate.record_assessment(assessment)
            status = self._record_answer(assessment, response)
            if status is ApprovalStatus.APPROVED:
                approver = response.approver
                break
            if status is ApprovalStatus.EDITED and response.edited_args is not None:
                action = action.model_copy(
                    update={"args": response.edited_args, "source": f"human:{response.approver}"}
                )
                continue
            return _refusal(call_id, f"Not approved ({status.value}). {response.note}".strip())
        return await self._execute(request, handler, assessment, approver)

    def _ask(self, assessment: Assessment) -> ApprovalResponse:
        now = datetime.now(UTC)
        pending = ApprovalRequest(
            approval_id=f"{self.gate.run_id}/{assessment.action.id}",
            run_id=self.gate.run_id,
            assessment=assessment,
            requested_at=now,
            expires_at=now + timedelta(hours=self.gate.goal.autonomy.approval_timeout_hours),
        )
        return ApprovalResponse.model_validate(interrupt(pending.model_dump(mode="json")))

    def _record_answer(self, assessment: Assessment, response: ApprovalResponse) -> ApprovalStatus:
        status = approval_status(response, assessment.request_hash)
        outcome = ApprovalOutcome(
            approval_id=f"{self.gate.run_id}/{assessment.action.id}",
            request_hash=assessment.request_hash,
            status=status,
            approver=response.approver,
            note=response.note,
        )
        self.gate.record(AuditKind.APPROVAL, outcome.model_dump(mode="json"), actor=f"human:{response.approver}")
        return status

    async def _execute(
        self, request: ToolCallRequest, handler: Handler, assessment: Assessment, approver: str | None
    ) -> ToolMessage | Command[Any]:
        key = idempotency_key(self.gate.run_id, assessment)
        args = dict(assessment.effective_args)
        schema = request.tool.args_schema if request.tool is not None else None
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        if "idempotency_key" in properties:
            args["idempotency_key"] = key
        result = await handler(request.override(tool_call={**request.tool_call, "args": args}))
        if isinstance(result, ToolMessage):
            artifact = result.artifact if isinstance(result.artifact, dict) else {}
            outcome = ToolOutcome(
                ok=result.status != "error", structured=artifact.get("structured_content"), text=message_text(result)
            )
        else:
            outcome = ToolOutcome(ok=True, text="(command)")
        self.executed.append(self.gate.record_execution(assessment, outcome, key=key, approved_by=approver))
        return result
