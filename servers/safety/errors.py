"""How the servers' safety layer refuses a call: each error says why, and what the caller or its owner can do."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cadencia.tools.approvals.links import approval_url, inbox_base_url
from cadencia.tools.errors import CadenciaError, PolicyViolation

_ASKED = re.compile(r"^approval required: (?P<id>\S+) — .*?(?: Why: (?P<why>.*?)\.)? Nothing was changed\.", re.S)


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


@dataclass(frozen=True)
class ServerAsked:
    """What a client reads back from an `ApprovalRequired` tool error: the server's approval id and its reasons."""

    approval_id: str
    why: str


def server_asked(text: str) -> ServerAsked | None:
    """The approval a server asked for, from the text of a tool error (None when the error is something else)."""
    found = _ASKED.match(text.strip())
    if found is None:
        return None
    return ServerAsked(approval_id=found["id"], why=found["why"] or "the server policy asks a person")


UNKNOWN_APPROVAL = "call without approval_id to ask for one"
"""Ends the refusal of an approval id this server never issued nor knows (another approval store's, say)."""


def unknown_approval(text: str) -> bool:
    """Whether a tool error says the approval id it was given is unknown to that server."""
    return "no approval " in text and UNKNOWN_APPROVAL in text


class Frozen(PolicyViolation):
    """Writes are frozen (kill switch or a freeze window); reads go on."""

    code = "frozen"


class BudgetRefused(PolicyViolation):
    """The call would take the caller's daily budget past its limit."""

    code = "budget_exceeded"
