"""price_floor and max_discount: prices and promotions never below cost + margin or beyond the deepest discount."""

from __future__ import annotations

from pydantic import Field

from cadencia.tools.money import format_minor
from cadencia.tools.names import Inventory
from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import PRICING_TOOLS, int_arg, str_arg
from cadencia.tools.policy.checks._lookups import tightest_cap, tightest_floor
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.facts import ProductFacts
from cadencia.tools.policy.registry import check


class PriceFloorParams(CheckParams):
    min_margin_pct: int | None = Field(None, ge=0, le=500, description="Tightens goal min_margin_pct.")
    when_unknown: Unknown = "require_approval"


class MaxDiscountParams(CheckParams):
    max_discount_pct: int | None = Field(None, ge=0, le=95, description="Tightens goal max_discount_pct.")
    when_unknown: Unknown = "require_approval"


@check("price_floor", params=PriceFloorParams, clamps=True, guards=PRICING_TOOLS)
async def price_floor(action: ProposedAction, ctx: CheckContext[PriceFloorParams]) -> Verdict | None:
    """A new price or promotion price is at least cost × (1 + min margin); clamps up to that floor."""
    product = await _product(action, ctx, ctx.params.when_unknown)
    if not isinstance(product, ProductFacts):
        return product
    margin = tightest_floor(ctx.params.min_margin_pct, ctx.goal.constraints.min_margin_pct) or 0
    floor = _ceil_div(product.cost_minor * (100 + margin), 100)
    label = f"the floor {format_minor(floor, product.currency)} (cost + {margin}% margin)"
    return _judge(action, ctx, product, floor, label)


@check("max_discount", params=MaxDiscountParams, clamps=True, guards=PRICING_TOOLS)
async def max_discount(action: ProposedAction, ctx: CheckContext[MaxDiscountParams]) -> Verdict | None:
    """A price or promotion is at most max_discount_pct off the list price; clamps to the deepest allowed."""
    if action.tool not in PRICING_TOOLS:
        return None
    max_pct = tightest_cap(ctx.params.max_discount_pct, ctx.goal.constraints.max_discount_pct) or 0
    pct = int_arg(action.args, "discount_pct")
    if action.tool == Inventory.SCHEDULE_PROMOTION and pct is not None and pct > max_pct:
        clamped = {**action.args, "discount_pct": max_pct} if max_pct >= 1 else None
        return ctx.violation(f"discount {pct}% exceeds the maximum {max_pct}%", clamped_args=clamped)
    product = await _product(action, ctx, ctx.params.when_unknown)
    if not isinstance(product, ProductFacts):
        return product
    floor = _ceil_div(product.list_price_minor * (100 - max_pct), 100)
    label = f"{max_pct}% off the list price {format_minor(product.list_price_minor, product.currency)}"
    return _judge(action, ctx, product, floor, label)


async def _product(
    action: ProposedAction, ctx: CheckContext[PriceFloorParams] | CheckContext[MaxDiscountParams], when: Unknown
) -> ProductFacts | Verdict | None:
    if action.tool not in PRICING_TOOLS:
        return None
    sku = str_arg(action.args, "sku")
    if sku is None:
        return ctx.deny(f"malformed: {action.tool} needs a sku")
    product = await ctx.facts.product(sku)
    if product is None:
        return ctx.unknown(f"product {sku!r} is not in the facts", when)
    return product


def _judge(
    action: ProposedAction,
    ctx: CheckContext[PriceFloorParams] | CheckContext[MaxDiscountParams],
    product: ProductFacts,
    floor: int,
    label: str,
) -> Verdict | None:
    """Compare the resulting price with `floor`; clamp the price up, or the promotion's discount down."""
    money = product.currency
    if action.tool == Inventory.SET_PRICE:
        price = int_arg(action.args, "price_minor")
        currency = str_arg(action.args, "currency")
        if price is None or currency is None:
            return ctx.deny("malformed: inventory_set_price needs integer price_minor and currency")
        if currency != product.currency:
            return ctx.deny(f"price currency {currency} differs from the product's {product.currency}")
        if price >= floor:
            return None
        reason = f"price {format_minor(price, money)} is below {label}; floor {format_minor(floor, money)}"
        return ctx.violation(reason, clamped_args={**action.args, "price_minor": floor})
    pct = int_arg(action.args, "discount_pct")
    if pct is None or not 1 <= pct <= 99:
        return ctx.deny("malformed: inventory_schedule_promotion needs an integer discount_pct from 1 to 99")
    promo = product.price_minor * (100 - pct) // 100
    if promo >= floor:
        return None
    deepest = 100 - _ceil_div(100 * floor, product.price_minor) if product.price_minor > 0 else 0
    clamped = {**action.args, "discount_pct": deepest} if 1 <= deepest < pct else None
    reason = f"promotion price {format_minor(promo, money)} ({pct}% off) is below {label}"
    return ctx.violation(reason + (f"; clamped to {deepest}%" if clamped else ""), clamped_args=clamped)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)
