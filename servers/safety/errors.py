"""How the servers' safety layer refuses a call: each error says why, and what the caller or its owner can do."""

from __future__ import annotations

from cadencia.tools.approvals.links import approval_url, inbox_base_url
from cadencia.tools.errors import CadenciaError, PolicyViolation


class ApprovalRequired(CadenciaError):
    """The call needs a person's approval; it did not run."""

    code = "approval_required"

    def __init__(self, approval_id: str, why: str, *, note: str = "") -> None:
        base = inbox_base_url()
        where = f"or at {approval_url(base, approval_id)}" if base else "or in the inbox"
        message = (
            f'approval required: {approval_id} — approve with "cadencia approvals approve {approval_id}" '
            f"({where}), then call again with approval_id={approval_id}"
        )
        super().__init__(message, field="approval_id", rule="approval")
        self.approval_id = approval_id
        self.why = why
        self.note = note

    def __str__(self) -> str:
        note = f" {self.note}" if self.note else ""
        return f"{self.message}.{note} Why: {self.why}. Nothing was changed."


class Frozen(PolicyViolation):
    """Writes are frozen (kill switch or a freeze window); reads go on."""

    code = "frozen"


class BudgetRefused(PolicyViolation):
    """The call would take the caller's daily budget past its limit."""

    code = "budget_exceeded"
