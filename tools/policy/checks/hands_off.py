"""hands_off: the agent changes nothing the goal leaves to someone else (a colleague's campaign, a SKU in review)."""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import str_arg, target_ids
from cadencia.tools.policy.context import CheckContext, CheckParams
from cadencia.tools.policy.registry import check


class HandsOffParams(CheckParams):
    hands_off: list[str] = Field(default_factory=list, description="Adds ids to the goal's hands-off objects.")


@check("hands_off", params=HandsOffParams)
async def hands_off(action: ProposedAction, ctx: CheckContext[HandsOffParams]) -> Verdict | None:
    """A world-changing call that targets a hands-off object (directly, or through its purchase order) is refused."""
    if not ctx.reversibility.mutates:
        return None
    protected = ctx.goal.hands_off_ids() | set(ctx.params.hands_off)
    if not protected:
        return None
    targets = {value for _key, value in target_ids(action.args)} | set(action.entities)
    po_id = str_arg(action.args, "purchase_order_id")
    if po_id is not None:
        order = await ctx.facts.purchase_order(po_id)
        if order is not None:
            targets.add(order.sku)
    touched = sorted(targets & protected)
    if not touched:
        return None
    names = ", ".join(touched)
    return ctx.violation(f"the goal leaves {names} to someone else (hands_off): the agent may not change it")
