"""Approvals as the durable store keeps them: what was asked (bound to one request hash) and how it was answered."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EDITED = "edited"
    EXPIRED = "expired"
    MISMATCH = "mismatch"
    """The answer named another request hash than the one asked: never an approval."""

    @property
    def answered(self) -> bool:
        return self is not ApprovalState.PENDING


class ApprovalTicket(BaseModel):
    """A request for a person's decision, bound to `request_hash`; its deadline is fixed when first asked."""

    model_config = ConfigDict(frozen=True)

    approval_id: str = Field(min_length=1, max_length=200, description="Stable id, e.g. run_id/action_id.")
    request_hash: str = Field(min_length=64, max_length=64, description="SHA-256 of the exact request.")
    tool: str = Field(min_length=1, max_length=200)
    run_id: str | None = Field(None, max_length=200)
    subject: str | None = Field(None, max_length=200, description="Who asked (token subject), for server-side use.")
    request: JsonValue = Field(None, description="What the approver is shown, as JSON.")
    requested_at: datetime
    expires_at: datetime


class ApprovalRecord(ApprovalTicket):
    """A ticket as stored, with its answer once there is one."""

    state: ApprovalState = ApprovalState.PENDING
    approver: str | None = None
    note: str = ""
    answered_at: datetime | None = None
    used_at: datetime | None = Field(None, description="When an approved request was consumed (single use).")


class Answer(BaseModel):
    """The outcome of answering: the record as it now stands and whether this call was the one that answered it."""

    record: ApprovalRecord
    recorded: bool
