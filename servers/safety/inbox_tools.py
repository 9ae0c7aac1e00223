"""Approving over MCP: `approvals_list_pending` and `approvals_answer`, for a person's client holding a token with
the `approve` scope (an inbox app, an operator's assistant). A caller can never answer its own request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from cadencia.servers.arguments import tighten
from cadencia.servers.context import require_scope, server_context
from cadencia.servers.errors import guarded
from cadencia.servers.listing import shape
from cadencia.servers.safety.hook import caller_subject
from cadencia.tools.approvals import ApprovalState
from cadencia.tools.errors import NotFound, PermissionDenied


class PendingApproval(BaseModel):
    approval_id: str
    tool: str
    subject: str | None = Field(description="The caller that asked.")
    request: Any = Field(description="Arguments in words, reversibility, verdicts, blast radius, request hash.")
    expires_at: datetime


class PendingApprovals(BaseModel):
    items: list[PendingApproval]


class ApprovalAnswer(BaseModel):
    approval_id: str
    state: str = Field(description="approved, rejected, or expired when answered after the deadline.")
    approver: str | None
    recorded: bool = Field(description="False when it had already been answered (nothing changed).")


def _safety(ctx: Context) -> Any:
    safety = server_context(ctx).safety
    if safety is None:
        raise NotFound("this server has no server policy, so it keeps no approvals", rule="approval")
    require_scope(ctx, "approve")
    return safety


async def approvals_list_pending(ctx: Context) -> PendingApprovals:
    """Server approvals waiting for a person."""
    safety = _safety(ctx)
    records = [r for r in safety.approvals.pending(at=datetime.now(UTC)) if r.run_id is None]
    return PendingApprovals(
        items=[
            PendingApproval(
                approval_id=r.approval_id, tool=r.tool, subject=r.subject, request=r.request, expires_at=r.expires_at
            )
            for r in records
        ]
    )


async def approvals_answer(
    ctx: Context,
    approval_id: Annotated[str, Field(min_length=1, max_length=200)],
    decision: Literal["approve", "reject"],
    note: Annotated[str, Field(max_length=500)] = "",
) -> ApprovalAnswer:
    """Approve (runs the call once) or reject a server approval; never your own call's."""
    safety = _safety(ctx)
    records = [r for r in safety.approvals.with_id(approval_id) if r.run_id is None]
    if not records:
        raise NotFound(f"no server approval {approval_id!r}", field="approval_id")
    record = records[-1]
    subject = caller_subject()
    if record.subject == subject:
        raise PermissionDenied(
            f"{subject} asked for {approval_id} and cannot approve its own call; a person with another token "
            "or the local CLI must answer",
            field="approval_id",
            rule="self_approval",
        )
    state = ApprovalState.APPROVED if decision == "approve" else ApprovalState.REJECTED
    answer = safety.approvals.answer(
        approval_id, record.request_hash, state=state, approver=f"mcp:{subject}", note=note, at=safety.clock()
    )
    stored = answer.record
    return ApprovalAnswer(
        approval_id=approval_id, state=stored.state.value, approver=stored.approver, recorded=answer.recorded
    )


def inbox_tools() -> list[Tool]:
    """The two approval tools, for a server with a policy (the approve scope guards them)."""
    listing = Tool.from_function(
        guarded("approvals_list_pending", approvals_list_pending),
        name="approvals_list_pending",
        title="List pending approvals",
        annotations=ToolAnnotations(title="List pending approvals", readOnlyHint=True, openWorldHint=False),
        structured_output=True,
    )
    answering = Tool.from_function(
        guarded("approvals_answer", approvals_answer),
        name="approvals_answer",
        title="Answer an approval",
        annotations=ToolAnnotations(title="Answer an approval", destructiveHint=False, idempotentHint=True),
        structured_output=True,
    )
    for tool, strict in ((listing, False), (answering, True)):
        tighten(tool, strict=strict)  # unknown arguments refused, as on every other tool
        shape(tool)  # published as leanly as every other tool (flat schemas, one-line description, no title)
    return [listing, answering]
