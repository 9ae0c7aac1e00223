"""Approvals: what a person is shown (bound to one exact request) and what they answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from cadencia.agents.actions import Assessment, JsonArgs, ProposedAction


def approval_id(run_id: str, action_id: str) -> str:
    """`run_id/action_id`: what `cadencia approvals approve` takes."""
    return f"{run_id}/{action_id}"


class ApprovalRequest(BaseModel):
    """The interrupt payload: the action, every verdict, its reversibility and the hash it is bound to."""

    approval_id: str = Field(description="run_id/action_id: what `cadencia approvals approve` takes.")
    run_id: str
    assessment: Assessment
    requested_at: datetime
    expires_at: datetime

    @property
    def request_hash(self) -> str:
        return self.assessment.request_hash


class ApprovalChoice(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EDIT = "edit"
    EXPIRE = "expire"
    """Sent by the system when nobody answered in time: recorded as expired, never as a rejection."""


class ApprovalResponse(BaseModel):
    """A person's answer. It applies only to the request whose hash it names."""

    choice: ApprovalChoice
    request_hash: str = Field(min_length=64, max_length=64, description="Hash of the request being answered.")
    approver: str = Field("human", min_length=1, max_length=120)
    edited_args: JsonArgs | None = Field(None, description="For edit: replacement arguments (re-guarded).")
    note: str = ""
    answered_at: datetime | None = Field(
        None, description="When the approver answered (informational: expiry is judged on when the answer arrives)."
    )


class ApprovalStatus(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    EDITED = "edited"
    EXPIRED = "expired"
    MISMATCH = "mismatch"


class ApprovalOutcome(BaseModel):
    """How an approval ended, as recorded in state and in the audit log."""

    approval_id: str
    request_hash: str
    status: ApprovalStatus
    approver: str | None = None
    note: str = ""


def approval_status(response: ApprovalResponse, request_hash: str, *, expired: bool = False) -> ApprovalStatus:
    """How an answer resolves a request: expired and mismatched answers never count as approvals."""
    if response.choice is ApprovalChoice.EXPIRE or expired:
        return ApprovalStatus.EXPIRED
    if response.request_hash != request_hash:
        return ApprovalStatus.MISMATCH
    return {
        ApprovalChoice.APPROVE: ApprovalStatus.APPROVED,
        ApprovalChoice.REJECT: ApprovalStatus.REJECTED,
        ApprovalChoice.EDIT: ApprovalStatus.EDITED,
    }[response.choice]


def edited_action(action: ProposedAction, response: ApprovalResponse) -> ProposedAction:
    """The action as a person edited it: a new id (so it is approved on its own) and their arguments."""
    assert response.edited_args is not None, "an edit carries the replacement arguments"
    return ProposedAction(
        id=f"{action.id}e",
        tool=action.tool,
        args=response.edited_args,
        rationale=f"{action.rationale} (edited by {response.approver})",
        expected_effect=action.expected_effect,
        entities=action.entities,
        source=f"human:{response.approver}",
    )
