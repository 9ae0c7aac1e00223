"""Standard approval payloads: LangChain's human-in-the-loop request shape on every interrupt, and its decisions
(approve / edit / reject) accepted as answers alongside our own `ApprovalResponse`.

An interrupt value is a `HITLRequest` (`action_requests` + `review_configs`, as `langchain.agents.middleware`
defines them) so LangGraph Studio, Agent Chat UI and Agent Inbox render and answer it; the `cadencia` extension
field carries the whole `ApprovalRequest` (approval id, request hash, verdicts, reversibility, deadline). A decision
without a hash answers the request of the interrupt it resumes; one that names a hash (in its own `cadencia` field)
is bound to that hash, so a stale answer for another request is recorded as a mismatch, never an approval.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse

EXTENSION = "cadencia"
"""The extension field on requests and decisions that carries what LangChain's shape has no place for."""

ALLOWED_DECISIONS: list[str] = ["approve", "edit", "reject"]
HITL_APPROVER = "hitl"
"""Who a standard decision is recorded as when it names no approver (Studio, Agent Chat UI, Agent Inbox)."""


class HitlAnswerError(ValueError):
    """A resume value that is neither our answer nor a standard decision; says which field is wrong."""


def in_words(request: ApprovalRequest) -> str:
    """The request as one sentence for the approver: the call, how reversible it is, what it should do."""
    action = request.assessment.action
    shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in request.assessment.effective_args.items())
    sentence = f"Run {action.tool}({shown}) — {request.assessment.reversibility.value}"
    if action.expected_effect:
        sentence += f"; expected: {action.expected_effect}"
    return sentence


def hitl_request(request: ApprovalRequest) -> dict[str, Any]:
    """The interrupt value: one action request with its review config, plus our request in the extension field."""
    assessment = request.assessment
    reasons = "; ".join(f"{v.rule}: {v.reason}" for v in assessment.verdicts)
    description = f"{in_words(request)}. Needs approval ({reasons}). Request hash {assessment.request_hash}."
    return {
        "action_requests": [
            {"name": assessment.action.tool, "args": dict(assessment.effective_args), "description": description}
        ],
        "review_configs": [{"action_name": assessment.action.tool, "allowed_decisions": list(ALLOWED_DECISIONS)}],
        EXTENSION: request.model_dump(mode="json"),
    }


def approval_request_of(value: Any) -> ApprovalRequest:
    """Our request from an interrupt value: the HITL shape's extension field, or a bare request (older checkpoints)."""
    if isinstance(value, Mapping) and EXTENSION in value:
        return ApprovalRequest.model_validate(value[EXTENSION])
    return ApprovalRequest.model_validate(value)


class _Extension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_hash: str | None = Field(None, min_length=64, max_length=64)
    approver: str | None = Field(None, min_length=1, max_length=120)
    note: str | None = Field(None, max_length=2000)


class _EditedAction(BaseModel):
    name: str
    args: dict[str, JsonValue]


class StandardDecision(BaseModel):
    """One LangChain HITL decision, with our optional extension (hash, approver, note)."""

    type: Literal["approve", "edit", "reject", "respond"]
    edited_action: _EditedAction | None = None
    message: str | None = None
    cadencia: _Extension = Field(default_factory=_Extension)


def _one_decision(value: Any) -> Mapping[str, Any]:
    """The single decision in a `HITLResponse` (`{"decisions": [...]}`), a list of one, or a bare decision."""
    if isinstance(value, Mapping) and "decisions" in value:
        value = value["decisions"]
    if isinstance(value, list):
        if len(value) != 1:
            raise HitlAnswerError(f"decisions: expected exactly one decision (one action was asked), got {len(value)}")
        value = value[0]
    if not isinstance(value, Mapping):
        raise HitlAnswerError(f"decision: expected an object with a 'type', got {type(value).__name__}")
    return value


def is_standard(value: Any) -> bool:
    """True when `value` looks like a LangChain decision (or a list / HITLResponse of them), not our answer."""
    if isinstance(value, Mapping):
        return "decisions" in value or ("type" in value and "choice" not in value)
    return isinstance(value, list)


def decision_response(value: Any, request: ApprovalRequest) -> ApprovalResponse:
    """Our answer from a standard decision, bound to `request` unless the decision names another hash."""
    try:
        decision = StandardDecision.model_validate(_one_decision(value))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "decision"
        raise HitlAnswerError(f"decision.{where}: {first['msg']}") from None
    ext = decision.cadencia
    tool = request.assessment.action.tool
    answer: dict[str, Any] = {
        "request_hash": ext.request_hash or request.request_hash,
        "approver": ext.approver or HITL_APPROVER,
        "note": ext.note if ext.note is not None else (decision.message or ""),
    }
    if decision.type == "approve":
        return ApprovalResponse(choice=ApprovalChoice.APPROVE, **answer)
    if decision.type == "edit":
        if decision.edited_action is None:
            raise HitlAnswerError("decision.edited_action: an edit carries the edited action {name, args}")
        if decision.edited_action.name != tool:
            answer["note"] = f"the edit named {decision.edited_action.name!r}, not {tool!r}: an edit keeps the tool"
            return ApprovalResponse(choice=ApprovalChoice.REJECT, **answer)
        return ApprovalResponse(choice=ApprovalChoice.EDIT, edited_args=decision.edited_action.args, **answer)
    if decision.type == "respond":
        answer["note"] = answer["note"] or "answered in place of the tool, which Cadencia does not allow: not run"
    return ApprovalResponse(choice=ApprovalChoice.REJECT, **answer)


def resume_response(value: Any, request: ApprovalRequest) -> ApprovalResponse:
    """Whatever a resume carried (our `ApprovalResponse` or a standard decision) as our answer to `request`."""
    if is_standard(value):
        return decision_response(value, request)
    try:
        return ApprovalResponse.model_validate(value)
    except ValidationError as exc:
        raise HitlAnswerError(
            f"resume: neither an approval answer nor a HITL decision ({exc.errors()[0]['msg']})"
        ) from None


def standard_decision(response: ApprovalResponse, tool: str) -> dict[str, JsonValue]:
    """Our answer as a standard decision (what the inbox and CLI send), carrying hash, approver and note."""
    ext: dict[str, JsonValue] = {"request_hash": response.request_hash, "approver": response.approver}
    if response.note:
        ext["note"] = response.note
    if response.choice is ApprovalChoice.APPROVE:
        return {"type": "approve", EXTENSION: ext}
    if response.choice is ApprovalChoice.EDIT:
        return {
            "type": "edit",
            "edited_action": {"name": tool, "args": dict(response.edited_args or {})},
            EXTENSION: ext,
        }
    return {"type": "reject", "message": response.note, EXTENSION: ext}
