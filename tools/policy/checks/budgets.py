"""blast_radius and compute_budget: how much one run may change, and how much it may compute."""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import MESSAGING_TOOLS, SPEND_TOOLS
from cadencia.tools.policy.checks._lookups import action_reach, spend_moved, tightest_cap
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.registry import check


class BlastRadiusParams(CheckParams):
    max_spend_moved_minor: int | None = Field(None, ge=0, description="Tightens autonomy max_spend_moved_minor.")
    max_contacts_messaged: int | None = Field(None, ge=0, description="Tightens autonomy max_contacts_messaged.")
    max_actions: int | None = Field(None, ge=0, description="Tightens autonomy max_actions.")
    when_unknown: Unknown = "require_approval"


class ComputeBudgetParams(CheckParams):
    max_tool_calls: int | None = Field(None, ge=0, description="Tightens autonomy max_tool_calls.")
    max_llm_calls: int | None = Field(None, ge=0, description="Tightens autonomy max_llm_calls.")
    max_llm_tokens: int | None = Field(None, ge=0, description="Tightens autonomy max_llm_tokens.")


@check("blast_radius", params=BlastRadiusParams, guards=SPEND_TOOLS | MESSAGING_TOOLS)
async def blast_radius(action: ProposedAction, ctx: CheckContext[BlastRadiusParams]) -> Verdict | None:
    """Executed spend moved, contacts messaged and actions, plus this action's, stay within the run's limits."""
    if not ctx.tool.reversibility.mutates:
        return None
    autonomy, totals, params = ctx.goal.autonomy, ctx.totals, ctx.params
    max_actions = tightest_cap(params.max_actions, autonomy.max_actions)
    if max_actions is not None and totals.actions + 1 > max_actions:
        return ctx.violation(f"{totals.actions} actions already ran; the run's limit is {max_actions}")
    moved = await spend_moved(action, ctx.facts)
    if moved is None:
        return ctx.unknown("the budget this action moves cannot be computed", params.when_unknown)
    max_spend = tightest_cap(params.max_spend_moved_minor, autonomy.max_spend_moved_minor)
    if max_spend is not None and moved and totals.spend_moved_minor + moved > max_spend:
        return ctx.violation(
            f"spend moved would reach {totals.spend_moved_minor + moved} minor units "
            f"({totals.spend_moved_minor} executed + {moved}); the run's limit is {max_spend}"
        )
    if action.tool in MESSAGING_TOOLS:
        reach = await action_reach(action, ctx.facts)
        if reach is None:
            return ctx.unknown("the number of recipients is not known", params.when_unknown)
        max_contacts = tightest_cap(params.max_contacts_messaged, autonomy.max_contacts_messaged)
        if max_contacts is not None and totals.contacts_messaged + reach > max_contacts:
            return ctx.violation(
                f"contacts messaged would reach {totals.contacts_messaged + reach} "
                f"({totals.contacts_messaged} executed + {reach}); the run's limit is {max_contacts}"
            )
    return None


@check("compute_budget", params=ComputeBudgetParams)
async def compute_budget(action: ProposedAction, ctx: CheckContext[ComputeBudgetParams]) -> Verdict | None:
    """Tool calls, model calls and model tokens used so far leave room for this call."""
    autonomy, totals, params = ctx.goal.autonomy, ctx.totals, ctx.params
    limits = (
        ("tool calls", totals.tool_calls + 1, tightest_cap(params.max_tool_calls, autonomy.max_tool_calls)),
        ("LLM calls", totals.llm_calls, tightest_cap(params.max_llm_calls, autonomy.max_llm_calls)),
        ("LLM tokens", totals.llm_tokens, tightest_cap(params.max_llm_tokens, autonomy.max_llm_tokens)),
    )
    for what, used, limit in limits:
        if limit is not None and used > limit:
            return ctx.violation(f"{what} budget exhausted: {used} > {limit}")
    return None
