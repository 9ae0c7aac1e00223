"""ai_disclosure: creatives and messages declare whether AI wrote them, and say so when an LLM did."""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import DISCLOSED_TOOLS
from cadencia.tools.policy.context import CheckContext, CheckParams
from cadencia.tools.policy.registry import check


class DisclosureParams(CheckParams):
    llm_sources: list[str] = Field(
        default_factory=lambda: ["planner:llm", "llm"],
        description="Action sources (prefixes) meaning an LLM wrote the text.",
    )


@check("ai_disclosure", params=DisclosureParams, clamps=True, guards=DISCLOSED_TOOLS)
async def ai_disclosure(action: ProposedAction, ctx: CheckContext[DisclosureParams]) -> Verdict | None:
    """`ai_generated` is an explicit boolean, and true when an LLM proposed the text (clamps it to true)."""
    if action.tool not in DISCLOSED_TOOLS:
        return None
    from_llm = any(action.source.startswith(prefix) for prefix in ctx.params.llm_sources)
    declared = action.args.get("ai_generated")
    if declared is True:
        return None
    if from_llm:
        what = "missing" if declared is None else f"{declared!r}"
        return ctx.violation(
            f"an LLM wrote this text but ai_generated is {what}; it must be true",
            clamped_args={**action.args, "ai_generated": True},
        )
    if declared is False:
        return None
    return ctx.deny("ai_generated must be given explicitly as true or false")
