"""Asking the caller's person through MCP before a call that needs one runs (public MCP SDK 2.3 surfaces only).

A resolver (`mcp.server.mcpserver.Resolve`) runs before the tool body: when the server policy wants a person and the
client declared form elicitation, it returns an `Elicit` form. The SDK carries it the way the negotiated protocol
does: an input-required result (MRTR) on 2026-07-28, an `elicitation/create` request on 2025-11-25 (when the
transport can send one). The body then reads the outcome: accept approves the open ticket and runs the call once,
decline rejects it (recorded), cancel leaves it pending. A client that cannot be asked keeps the fallback error.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    ElicitationResult,
    RequestStateSecurity,
    Resolve,
)
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field, JsonValue
from pydantic_core import to_jsonable_python

from cadencia.servers.context import backends, has_scope, server_context
from cadencia.servers.safety.call import APPROVAL_ARG, FormOutcome, ToolCall
from cadencia.tools.approvals import ApprovalRecord
from cadencia.tools.errors import CadenciaError
from cadencia.tools.reversibility import Reversibility

PERSON_ARG = "person"
"""The tool parameter the resolver fills (never in the tool's input schema)."""
MRTR_VERSION = "2026-07-28"
"""First protocol whose tools/call asks through an input-required result instead of a server-to-client request."""


class ApprovalForm(BaseModel):
    """What the person fills in: accepting the form approves this one call, declining refuses it."""

    note: str = Field("", max_length=500, description="Why (recorded with the answer).")


REQUEST_STATE_KEYS_ENV = "CADENCIA_REQUEST_STATE_KEYS"
"""Comma-separated secrets (each at least 32 characters, the first seals) that every replica behind one address
shares, so a 2026-07-28 client's second round may reach another replica. Unset: a key of this process only."""


def request_state_security() -> RequestStateSecurity | None:
    """The sealing of input-required rounds' `requestState` (AES-GCM, bound to the caller): shared keys from
    $CADENCIA_REQUEST_STATE_KEYS, else None (the SDK's per-process key: fine for stdio and one HTTP process)."""
    keys = [k.strip() for k in os.environ.get(REQUEST_STATE_KEYS_ENV, "").split(",") if k.strip()]
    return RequestStateSecurity(keys=keys) if keys else None


def client_can_be_asked(ctx: Context) -> bool:
    """The client declared form elicitation and this request can carry a question (MRTR, or a session that can
    send a server-to-client request)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    version = ctx.protocol_version
    if version is not None and is_version_at_least(version, MRTR_VERSION):
        return True
    return bool(ctx.session.can_send_request)


def form_message(ticket: ApprovalRecord) -> str:
    """The question in words: tool, arguments, reversibility, verdicts, blast radius, request hash, approval id.

    Built only from the stored ticket, so every round of one question renders the same text."""
    request: Mapping[str, Any] = ticket.request if isinstance(ticket.request, dict) else {}
    verdicts = request.get("verdicts") or []
    why = "; ".join(
        f"{v.get('rule')}: {v.get('reason')}"
        for v in verdicts
        if isinstance(v, dict) and v.get("decision") == "require_approval"
    )
    radius = request.get("blast_radius") or {}
    blast = ", ".join(f"{k} {v}" for k, v in sorted(radius.items()) if v) if isinstance(radius, dict) else ""
    lines = [
        f"Approve this call? {request.get('in_words') or ticket.tool}",
        f"Tool: {ticket.tool} ({request.get('reversibility', '?')})",
        f"Why a person is asked: {why or 'the server policy'}",
        f"Blast radius: {blast or 'none counted'}",
        f"Request hash: {ticket.request_hash}",
        f"Approval: {ticket.approval_id} (expires {ticket.expires_at.isoformat(timespec='minutes')})",
        "Accept runs it once; decline refuses it; cancel leaves it waiting in the inbox.",
    ]
    return "\n".join(lines)


def tool_call(
    tool: str,
    reversibility: Reversibility,
    arguments: Mapping[str, Any],
    subject: str,
    defaults: Mapping[str, JsonValue],
) -> ToolCall:
    """The `ToolCall` of validated tool arguments (without the approval id the fallback path carries)."""
    args = to_jsonable_python({k: v for k, v in arguments.items() if k not in ("ctx", APPROVAL_ARG, PERSON_ARG)})
    return ToolCall(
        tool=tool,
        reversibility=reversibility,
        args=args,
        subject=subject,
        approval_id=arguments.get(APPROVAL_ARG),
        defaults=defaults,
    )


def person_parameter(
    *,
    tool: str,
    reversibility: Reversibility,
    arg_names: Sequence[str],
    defaults: Mapping[str, JsonValue],
    subject: Callable[[], str],
) -> tuple[inspect.Parameter, Any]:
    """The keyword parameter (and its annotation) a mutating tool gains: filled by a resolver that asks the person
    when the server policy wants one and the client can be asked; otherwise it resolves to None (nothing asked)."""

    async def ask_person(ctx: Context, **arguments: Any) -> Elicit[ApprovalForm] | None:
        safety = server_context(ctx).safety
        if safety is None or arguments.get(APPROVAL_ARG) or not has_scope(ctx, "write"):
            return None
        if not safety.policy.autonomy.ask_in_client:
            return None
        if not client_can_be_asked(ctx):
            return None
        call = tool_call(tool, reversibility, arguments, subject(), defaults)
        try:
            ticket = await safety.needs_person(call, backends(ctx))
        except CadenciaError:
            return None  # refused for another reason: the body says which
        return None if ticket is None else Elicit(form_message(ticket), ApprovalForm)

    ask_person.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
        + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in arg_names]
    )
    ask_person.__annotations__ = {"ctx": Context, "return": Elicit[ApprovalForm] | None}
    ask_person.__qualname__ = f"ask_person.{tool}"
    annotation = Annotated[ElicitationResult[ApprovalForm], Resolve(ask_person)]
    parameter = inspect.Parameter(PERSON_ARG, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
    return parameter, annotation


def form_outcome(answer: object) -> tuple[FormOutcome, str] | None:
    """The person's answer from the resolver's outcome, or None when nobody was asked."""
    if isinstance(answer, AcceptedElicitation):
        return (FormOutcome.ACCEPT, answer.data.note) if isinstance(answer.data, ApprovalForm) else None
    if isinstance(answer, DeclinedElicitation):
        return FormOutcome.DECLINE, ""
    if isinstance(answer, CancelledElicitation):
        return FormOutcome.CANCEL, ""
    return None
