"""One tool call as the servers' safety layer sees it, and the names it uses: light enough for every server to
import (the policy engine is loaded only by servers that have a policy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import JsonValue

from cadencia.tools.approvals.binding import request_hash
from cadencia.tools.reversibility import Reversibility

JsonArgs = dict[str, JsonValue]

APPROVAL_ARG = "approval_id"
UNBOUND_ARGS = frozenset({"idempotency_key", APPROVAL_ARG})
"""Arguments an approval is not bound to: a retry may carry a new idempotency key."""
SERVER_APPROVAL_PREFIX = "srv-"
CALL_REF_PREFIX = "call-"


class FormOutcome(StrEnum):
    """How a person answered the approval form their client showed them (MCP elicitation)."""

    ACCEPT = "accept"
    DECLINE = "decline"
    CANCEL = "cancel"


def is_server_approval(approval_id: str) -> bool:
    """Server approvals are `srv-…`; the graph's are `RUN_ID/ACTION_ID`."""
    return approval_id.startswith(SERVER_APPROVAL_PREFIX)


def audit_run_id(subject: str) -> str:
    """The audit log's run id for a caller's calls at the servers: `cadencia audit show mcp:SUBJECT`."""
    return f"mcp:{subject}"


def normalized(args: Mapping[str, JsonValue], defaults: Mapping[str, JsonValue]) -> JsonArgs:
    """The arguments an approval binds: without idempotency key and approval id, and without arguments that only
    restate their default (so `{"limit": 20}` and `{}` are the same request when 20 is the default)."""
    return {k: v for k, v in args.items() if k not in UNBOUND_ARGS and not (k in defaults and defaults[k] == v)}


@dataclass(frozen=True)
class ToolCall:
    """One tool call as the safety layer sees it: canonical tool name, validated JSON arguments, who called."""

    tool: str
    reversibility: Reversibility
    args: JsonArgs
    subject: str
    approval_id: str | None = None
    defaults: Mapping[str, JsonValue] = field(default_factory=dict)

    @property
    def bound_args(self) -> JsonArgs:
        return normalized(self.args, self.defaults)

    @property
    def request_hash(self) -> str:
        """sha256(tool, canonical arguments, caller): what a server approval is bound to."""
        return request_hash(self.tool, self.bound_args, subject=self.subject)

    @property
    def graph_hash(self) -> str:
        """The hash the graph's gate binds its approvals to (no caller): accepted when a person answered there."""
        return request_hash(self.tool, self.bound_args)
