"""thresholds: the size of one action decides whether a person looks at it (budget rises, price cuts, reach, POs).

Goal-free: every figure comes from the action and the facts, so the servers' policy uses it as the agent's does.
"""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.money import format_minor
from cadencia.tools.names import Ads, Inventory
from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import MESSAGING_TOOLS, int_arg, str_arg
from cadencia.tools.policy.checks._lookups import action_campaign, action_reach
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.registry import check


class ThresholdParams(CheckParams):
    budget_increase_pct: int | None = Field(None, ge=0, le=10_000, description="Daily budget raised by more than this.")
    price_cut_pct: int | None = Field(None, ge=0, le=100, description="Price or promotion cut by more than this.")
    max_contacts: int | None = Field(None, ge=0, description="A send reaching more contacts than this.")
    po_above_minor: int | None = Field(None, ge=0, description="A purchase order worth more than this (minor units).")
    when_unknown: Unknown = "require_approval"


Cfg = CheckContext[ThresholdParams]


@check("thresholds", params=ThresholdParams)
async def thresholds(action: ProposedAction, ctx: Cfg) -> Verdict | None:
    """Budget increases, price cuts, sends and purchase orders above the policy's thresholds."""
    if action.tool == Ads.SET_BUDGET:
        return await _budget_increase(action, ctx)
    if action.tool in (Inventory.SET_PRICE, Inventory.SCHEDULE_PROMOTION):
        return await _price_cut(action, ctx)
    if action.tool in MESSAGING_TOOLS:
        return await _reach(action, ctx)
    if action.tool in (Inventory.CREATE_PURCHASE_ORDER, Inventory.CONFIRM_PURCHASE_ORDER):
        return await _purchase_order(action, ctx)
    return None


async def _budget_increase(action: ProposedAction, ctx: Cfg) -> Verdict | None:
    limit = ctx.params.budget_increase_pct
    if limit is None:
        return None
    new = int_arg(action.args, "daily_budget_minor")
    campaign = await action_campaign(action, ctx.facts)
    if new is None or campaign is None:
        return ctx.unknown("the campaign's current budget or the new one", ctx.params.when_unknown)
    old = campaign.daily_budget_minor
    if new <= old:
        return None
    if old == 0 or (new - old) * 100 > limit * old:
        rise = "from nothing" if old == 0 else f"by {round((new - old) * 100 / old)} %"
        return ctx.violation(f"daily budget of {campaign.id} would rise {rise} (threshold {limit} %)")
    return None


async def _price_cut(action: ProposedAction, ctx: Cfg) -> Verdict | None:
    limit = ctx.params.price_cut_pct
    if limit is None:
        return None
    if action.tool == Inventory.SCHEDULE_PROMOTION:
        discount = int_arg(action.args, "discount_pct")
        if discount is None:
            return ctx.unknown("the promotion's discount", ctx.params.when_unknown)
        if discount > limit:
            return ctx.violation(f"a {discount} % promotion cuts the price beyond the threshold ({limit} %)")
        return None
    sku, new = str_arg(action.args, "sku"), int_arg(action.args, "price_minor")
    product = None if sku is None else await ctx.facts.product(sku)
    if new is None or product is None or product.price_minor == 0:
        return ctx.unknown("the product's current price or the new one", ctx.params.when_unknown)
    cut = product.price_minor - new
    if cut * 100 > limit * product.price_minor:
        pct = round(cut * 100 / product.price_minor)
        return ctx.violation(f"price of {product.sku} would fall by {pct} % (threshold {limit} %)")
    return None


async def _reach(action: ProposedAction, ctx: Cfg) -> Verdict | None:
    limit = ctx.params.max_contacts
    if limit is None:
        return None
    reach = await action_reach(action, ctx.facts)
    if reach is None:
        return ctx.unknown("how many contacts this reaches", ctx.params.when_unknown)
    if reach > limit:
        return ctx.violation(f"reaches {reach} contacts (threshold {limit})")
    return None


async def _purchase_order(action: ProposedAction, ctx: Cfg) -> Verdict | None:
    limit = ctx.params.po_above_minor
    if limit is None:
        return None
    if action.tool == Inventory.CONFIRM_PURCHASE_ORDER:
        po_id = str_arg(action.args, "purchase_order_id")
        order = None if po_id is None else await ctx.facts.purchase_order(po_id)
        total, currency = (None, "") if order is None else (order.total_minor, order.currency)
    else:
        sku, quantity = str_arg(action.args, "sku"), int_arg(action.args, "quantity")
        product = None if sku is None else await ctx.facts.product(sku)
        known = product is not None and quantity is not None
        total = product.cost_minor * quantity if product is not None and quantity is not None else None
        currency = product.currency if known and product is not None else ""
    if total is None:
        return ctx.unknown("the purchase order's amount", ctx.params.when_unknown)
    if total > limit:
        return ctx.violation(
            f"purchase order worth {format_minor(total, currency)} (threshold {format_minor(limit, currency)})"
        )
    return None
