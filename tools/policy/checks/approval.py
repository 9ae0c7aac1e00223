"""reversibility_approval: where the goal's autonomy policy becomes verdicts (who may act without a person)."""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.context import CheckContext, CheckParams
from cadencia.tools.policy.registry import check
from cadencia.tools.reversibility import Reversibility


class ReversibilityApprovalParams(CheckParams):
    always_approve_tools: list[str] = Field(default_factory=list, description="Added to autonomy.always_approve_tools.")


@check("reversibility_approval", params=ReversibilityApprovalParams)
async def reversibility_approval(
    action: ProposedAction, ctx: CheckContext[ReversibilityApprovalParams]
) -> Verdict | None:
    """Approval unless the tool or its reversibility class is auto-approved; always-approve tools always ask."""
    autonomy = ctx.goal.autonomy
    tool = ctx.tool
    if tool.name in autonomy.always_approve_tools or tool.name in ctx.params.always_approve_tools:
        return ctx.require_approval(f"{tool.name} always needs approval")
    if not tool.known:
        return ctx.require_approval(f"{tool.name} is not in the trusted registry; treated as irreversible")
    if tool.name in autonomy.auto_approve_tools or tool.reversibility in autonomy.auto_approve:
        return None
    if tool.reversibility is Reversibility.READ:
        return ctx.require_approval("even reads need approval under this goal's autonomy")
    return ctx.require_approval(f"{tool.name} is {tool.reversibility.value} and not auto-approved")
