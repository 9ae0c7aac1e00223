"""Shopify variant prices (`productVariantsBulkUpdate`): floors and step limits first, undo by read-compare-write.

Prices are absolute values (a repeated write is harmless); Shopify has no compare-and-set for them, so an undo first
reads the price and refuses when it is no longer the one Cadencia wrote.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cadencia.tools.errors import Conflict, InvalidArgument, PolicyViolation
from cadencia.tools.inventory.models import PriceChange, ProductSummary
from cadencia.tools.inventory.vendors import shopify_api as q
from cadencia.tools.inventory.vendors.shopify_api import ShopifyGraphQL, legacy_id, raise_user_errors
from cadencia.tools.limits import Limits
from cadencia.tools.vendors.ledger import ObjectChange
from cadencia.tools.vendors.money import from_minor, to_minor
from cadencia.tools.vendors.writes import VendorWrites, WritePlan


class ShopifyPrices:
    def __init__(
        self,
        api: ShopifyGraphQL,
        writes: VendorWrites,
        *,
        limits: Limits,
        summary: Callable[[str], Awaitable[tuple[dict[str, Any], ProductSummary]]],
        floor: Callable[[ProductSummary], int],
    ) -> None:
        self._api, self._writes, self._limits, self._summary, self._floor = api, writes, limits, summary, floor

    async def set(self, *, sku: str, price_minor: int, currency: str, key: str | None) -> PriceChange:
        args = {"sku": sku, "price_minor": price_minor, "currency": currency}

        async def plan() -> WritePlan[PriceChange]:
            node, summary = await self._summary(sku)
            if currency != summary.currency:
                raise InvalidArgument(f"{sku} is priced in {summary.currency}, not {currency}", field="currency")
            floor = self._floor(summary)
            if price_minor < floor:
                raise PolicyViolation(
                    f"price {price_minor} is below the floor {floor} for {sku}; choose a price of at least {floor}",
                    field="price_minor",
                    rule="price_floor",
                )
            current, limit = summary.price_minor, self._limits.price.max_change_pct
            if current and abs(price_minor - current) * 100 > current * limit:
                raise PolicyViolation(
                    f"a price change of at most {limit}% is allowed ({current} → {price_minor})",
                    field="price_minor",
                    rule="max_change",
                )
            discount = round((summary.list_price_minor - price_minor) * 100 / summary.list_price_minor, 2)
            product_id = node["product"]["id"]

            async def send() -> None:
                await self.write(product_id, node["id"], price_minor, summary.currency)

            def image(price: int) -> dict[str, Any]:
                return {"price_minor": price, "product_id": product_id, "currency": summary.currency}

            return WritePlan(
                result=PriceChange(
                    sku=sku,
                    currency=summary.currency,
                    previous_price_minor=current,
                    price_minor=price_minor,
                    discount_pct=discount,
                ),
                changes=[
                    ObjectChange(
                        kind="variant_price", object_id=node["id"], before=image(current), after=image(price_minor)
                    )
                ],
                effect=f"{sku} price {current} → {price_minor} {summary.currency}",
                send=send,
            )

        return await self._writes.run(tool="set_price", args=args, key=key, result_type=PriceChange, plan=plan)

    async def write(self, product_id: str, variant_id: str, price_minor: int, currency: str) -> None:
        variables = {
            "productId": product_id,
            "variants": [{"id": variant_id, "price": from_minor(price_minor, currency)}],
        }
        data = await self._api.run(q.SET_PRICE, variables, retry_safe=True)
        raise_user_errors(data.get("productVariantsBulkUpdate"), "the price change")

    async def compensate(self, change: ObjectChange) -> None:
        before, after = change.before or {}, change.after or {}
        found = await self._api.run(
            q.VARIANTS, {"first": 1, "after": None, "query": f"id:{legacy_id(change.object_id)}"}
        )
        nodes = found["productVariants"]["nodes"]
        current = to_minor(nodes[0]["price"], after["currency"]) if nodes else None
        if current != after["price_minor"]:
            raise Conflict(
                f"cannot undo: the price of {change.object_id} is now {current} in Shopify, not "
                f"{after['price_minor']} (stale undo token); set the price you want instead",
                field="token",
                rule="stale_undo",
            )
        await self.write(after["product_id"], change.object_id, before["price_minor"], after["currency"])
