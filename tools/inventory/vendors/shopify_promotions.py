"""Promotions as Shopify automatic percentage discounts on one variant (`discountAutomaticBasic*`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.inventory.models import Product, Promotion, PromotionChange, PromotionStatus
from cadencia.tools.inventory.vendors import shopify_api as q
from cadencia.tools.inventory.vendors.shopify_api import ShopifyGraphQL, raise_user_errors
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page
from cadencia.tools.vendors.ledger import ObjectChange
from cadencia.tools.vendors.writes import Sent, VendorWrites, WritePlan

STATUSES = {"ACTIVE": PromotionStatus.ACTIVE, "SCHEDULED": PromotionStatus.SCHEDULED, "EXPIRED": PromotionStatus.ENDED}


def to_promotion(node: dict[str, Any]) -> Promotion | None:
    """A Cadencia promotion, or None for discounts of another shape (fixed amount, several products, …)."""
    discount = node.get("automaticDiscount") or {}
    if discount.get("__typename") != "DiscountAutomaticBasic":
        return None
    percentage = (discount.get("customerGets", {}).get("value") or {}).get("percentage")
    variants = ((discount.get("customerGets", {}).get("items") or {}).get("productVariants") or {}).get("nodes", [])
    if percentage is None or len(variants) != 1:
        return None
    ends = discount.get("endsAt")
    return Promotion(
        id=node["id"],
        sku=variants[0]["sku"],
        discount_pct=round(float(percentage) * 100),
        starts_on=datetime.fromisoformat(discount["startsAt"].replace("Z", "+00:00")).date(),
        ends_on=(datetime.fromisoformat(ends.replace("Z", "+00:00")) - timedelta(seconds=1)).date()
        if ends
        else date.max,
        status=STATUSES.get(discount.get("status", ""), PromotionStatus.ENDED),
        label=discount.get("title", ""),
    )


class ShopifyPromotions:
    def __init__(
        self,
        api: ShopifyGraphQL,
        writes: VendorWrites,
        *,
        limits: Limits,
        today: Callable[[], date],
        product: Callable[[str], Awaitable[tuple[Product, str]]],
    ) -> None:
        self._api, self._writes, self._limits, self._today, self._product = api, writes, limits, today, product

    async def list(self, *, sku: str | None, active_only: bool, cursor: str | None, limit: int) -> Page[Promotion]:
        query = "status:active" if active_only else None
        data = await self._api.run(q.DISCOUNTS, {"first": limit, "after": cursor, "query": query})
        page = data["automaticDiscountNodes"]
        items = [p for n in page["nodes"] if (p := to_promotion(n)) and (sku is None or p.sku == sku)]
        info = page["pageInfo"]
        return Page(items=items, next_cursor=info["endCursor"] if info["hasNextPage"] else None)

    async def get(self, promotion_id: str) -> Promotion:
        node = (await self._api.run(q.DISCOUNT, {"id": promotion_id})).get("automaticDiscountNode")
        promotion = to_promotion(node) if node else None
        if promotion is None:
            raise NotFound(f"No promotion {promotion_id!r}; call list_promotions", field="promotion_id")
        return promotion

    async def schedule(
        self, *, sku: str, discount_pct: int, starts_on: date, ends_on: date, label: str, key: str | None
    ) -> PromotionChange:
        args = {
            "sku": sku,
            "discount_pct": discount_pct,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "label": label,
        }

        async def plan() -> WritePlan[PromotionChange]:
            limit = self._limits.price.max_discount_pct
            if not 1 <= discount_pct <= limit:
                raise PolicyViolation(
                    f"discount {discount_pct}% is outside 1..maximum {limit}%",
                    field="discount_pct",
                    rule="max_discount",
                )
            if starts_on < self._today() or ends_on < starts_on:
                raise InvalidArgument("starts_on must be today or later and ends_on on or after it", field="ends_on")
            product, variant_id = await self._product(sku)
            promo_price = product.price_minor * (100 - discount_pct) // 100
            if promo_price < product.price_floor_minor:
                raise PolicyViolation(
                    f"{discount_pct}% off {product.price_minor} gives {promo_price}, below the floor "
                    f"{product.price_floor_minor} for {sku}",
                    field="discount_pct",
                    rule="price_floor",
                )
            status = PromotionStatus.ACTIVE if starts_on <= self._today() else PromotionStatus.SCHEDULED
            draft = Promotion(
                id="(assigned by Shopify)",
                sku=sku,
                discount_pct=discount_pct,
                starts_on=starts_on,
                ends_on=ends_on,
                status=status,
                label=label,
            )
            discount = {
                "title": label,
                "startsAt": f"{starts_on.isoformat()}T00:00:00Z",
                "endsAt": f"{(ends_on + timedelta(days=1)).isoformat()}T00:00:00Z",
                "customerGets": {
                    "value": {"percentage": discount_pct / 100},
                    "items": {"products": {"productVariantsToAdd": [variant_id]}},
                },
            }

            async def send() -> Sent[PromotionChange]:
                data = await self._api.run(q.CREATE_DISCOUNT, {"discount": discount}, retry_safe=False)
                payload = data.get("discountAutomaticBasicCreate")
                raise_user_errors(payload, "the discount")
                created = draft.model_copy(update={"id": payload["automaticDiscountNode"]["id"]})
                change = ObjectChange(
                    kind="discount", object_id=created.id, before=None, after={"status": status.value}
                )
                return Sent(PromotionChange(promotion=created, previous=None), [change])

            return WritePlan(
                result=PromotionChange(promotion=draft, previous=None),
                changes=[],
                effect=f"{sku}: {discount_pct}% off {starts_on}..{ends_on} ({label})",
                send=send,
            )

        return await self._writes.run(
            tool="schedule_promotion", args=args, key=key, result_type=PromotionChange, plan=plan
        )

    async def end(self, *, promotion_id: str, key: str | None) -> PromotionChange:
        async def plan() -> WritePlan[PromotionChange]:
            current = await self.get(promotion_id)
            if current.status is PromotionStatus.ENDED:
                raise Conflict(f"promotion {promotion_id} has already ended", field="promotion_id")
            ended = current.model_copy(update={"status": PromotionStatus.ENDED})

            async def send() -> None:
                data = await self._api.run(q.DEACTIVATE_DISCOUNT, {"id": promotion_id}, retry_safe=True)
                raise_user_errors(data.get("discountAutomaticDeactivate"), "ending the discount")

            return WritePlan(
                result=PromotionChange(promotion=ended, previous=current),
                changes=[
                    ObjectChange(
                        kind="discount",
                        object_id=promotion_id,
                        before={"status": current.status.value},
                        after={"status": "ended"},
                    )
                ],
                effect=f"end promotion {promotion_id} ({current.sku}, {current.discount_pct}% off)",
                send=send,
            )

        return await self._writes.run(
            tool="end_promotion", args={"promotion_id": promotion_id}, key=key, result_type=PromotionChange, plan=plan
        )

    async def compensate(self, change: ObjectChange) -> None:
        """Undo a discount write: delete what we created, re-activate what we ended; refuse if it moved since."""
        node = (await self._api.run(q.DISCOUNT, {"id": change.object_id})).get("automaticDiscountNode")
        current = to_promotion(node) if node else None
        expected = (change.after or {}).get("status")
        if current is None or (expected == "ended") != (current.status is PromotionStatus.ENDED):
            raise Conflict(
                f"cannot undo: discount {change.object_id} changed in Shopify since (stale undo token)",
                field="token",
                rule="stale_undo",
            )
        if change.before is None:
            data = await self._api.run(q.DELETE_DISCOUNT, {"id": change.object_id}, retry_safe=True)
            raise_user_errors(data.get("discountAutomaticDelete"), "deleting the discount")
        else:
            data = await self._api.run(q.ACTIVATE_DISCOUNT, {"id": change.object_id}, retry_safe=True)
            raise_user_errors(data.get("discountAutomaticActivate"), "re-activating the discount")
