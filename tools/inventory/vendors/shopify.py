"""Shopify as the inventory system of record (Admin GraphQL; documents and doc pages in `shopify_api`).

Stock writes are compare-and-set (`changeFromQuantity`) with an `@idempotent` key, so a retried write can never
apply twice; prices are absolute values (a repeat is harmless) and their undo is a read-compare-write. Promotions
are automatic percentage discounts on one variant. Sales history comes from the local mirror of orders
(`cadencia sync`). Purchase orders, forecasts and product copy are not Shopify features here: those tools answer
"not supported by Shopify" (README table).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.inventory.models import (
    Category,
    ContentChange,
    DemandForecast,
    PriceChange,
    Product,
    ProductSummary,
    Promotion,
    PromotionChange,
    PurchaseOrder,
    PurchaseOrderChange,
    SalesReport,
    StockAdjustment,
    StockLevel,
)
from cadencia.tools.inventory.vendors import shopify_api as q
from cadencia.tools.inventory.vendors.shopify_api import ShopifyGraphQL, legacy_id, raise_user_errors, search_term
from cadencia.tools.inventory.vendors.shopify_prices import ShopifyPrices
from cadencia.tools.inventory.vendors.shopify_promotions import ShopifyPromotions
from cadencia.tools.inventory.vendors.shopify_sync import sync_orders
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page
from cadencia.tools.undo import UndoResult
from cadencia.tools.vendors.ledger import ObjectChange
from cadencia.tools.vendors.mirror import sales_from_mirror
from cadencia.tools.vendors.money import to_minor
from cadencia.tools.vendors.secrets import unsupported
from cadencia.tools.vendors.writes import VendorWrites, WritePlan, undo_with_vendor

VENDOR = "Shopify"


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class ShopifyInventory:
    """`InventoryBackend` over one Shopify shop; every write goes through `VendorWrites` (ledger or shadow)."""

    def __init__(
        self,
        api: ShopifyGraphQL,
        writes: VendorWrites,
        *,
        limits: Limits | None = None,
        lead_time_days: int = 14,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._api, self._writes, self._limits = api, writes, limits or Limits()
        self._lead_time, self._today = lead_time_days, today
        self._shop_currency: str | None = None

    # -- reads ---------------------------------------------------------------------------------------------------

    async def currency(self) -> str:
        if self._shop_currency is None:
            self._shop_currency = str((await self._api.run(q.SHOP, {}))["shop"]["currencyCode"])
        return self._shop_currency

    async def _variants(self, query: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
        data = await self._api.run(q.VARIANTS, {"first": limit, "after": cursor, "query": query})
        return data["productVariants"]

    async def _variant(self, sku: str) -> dict[str, Any]:
        found = [n for n in (await self._variants(f"sku:{search_term(sku)}", None, 5))["nodes"] if n["sku"] == sku]
        if not found:
            raise NotFound(f"No SKU {sku!r} in Shopify; call list_products first", field="sku")
        return found[0]

    def _floor(self, summary: ProductSummary) -> int:
        price = self._limits.price
        margin = _ceil_div(summary.cost_minor * (100 + price.min_margin_pct), 100)
        discount = _ceil_div(summary.list_price_minor * (100 - price.max_discount_pct), 100)
        return max(margin, discount)

    def _summary(self, node: dict[str, Any], currency: str) -> ProductSummary | None:
        try:
            category = Category(str(node["product"].get("productType", "")).strip().lower())
        except ValueError:
            return None
        price = to_minor(node["price"], currency)
        compare = to_minor(node["compareAtPrice"], currency) if node.get("compareAtPrice") else 0
        cost = ((node.get("inventoryItem") or {}).get("unitCost") or {}).get("amount")
        return ProductSummary(
            sku=node["sku"],
            name=node["product"]["title"],
            category=category,
            currency=currency,
            price_minor=price,
            list_price_minor=max(price, compare),
            cost_minor=to_minor(cost, currency) if cost is not None else 0,
            status=str(node["product"].get("status", "ACTIVE")).lower(),
            on_hand=int(node.get("inventoryQuantity") or 0),
        )

    async def list_products(
        self, *, category: Category | None = None, query: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[ProductSummary]:
        terms = [f"product_type:{search_term(category.value)}"] if category else []
        if query:
            terms.append(search_term(query))
        page = await self._variants(" ".join(terms) or None, cursor, limit)
        currency = await self.currency()
        items = [s for n in page["nodes"] if n.get("sku") and (s := self._summary(n, currency)) is not None]
        info = page["pageInfo"]
        return Page(items=items, next_cursor=info["endCursor"] if info["hasNextPage"] else None)

    async def get_product(self, *, sku: str) -> Product:
        node = await self._variant(sku)
        summary = self._summary(node, await self.currency())
        if summary is None:
            raise NotFound(f"SKU {sku!r} has a Shopify product type outside skincare/makeup/fragrance", field="sku")
        active = (await self.list_promotions(sku=sku, active_only=True, limit=100)).items
        return Product(
            **summary.model_dump(),
            title=node["product"]["title"],
            description="",
            bullets=[],
            lead_time_days=self._lead_time,
            active_promotion=active[0] if active else None,
            price_floor_minor=self._floor(summary),
        )

    async def _levels(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        data = await self._api.run(q.LEVELS, {"id": node["inventoryItem"]["id"]})
        return (data.get("inventoryItem") or {}).get("inventoryLevels", {}).get("nodes", [])

    async def get_stock(
        self,
        *,
        sku: str | None = None,
        warehouse_id: str | None = None,
        max_days_of_cover: float | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[StockLevel]:
        if sku is None:
            raise unsupported(VENDOR, "get_stock", "stock of every SKU at once; pass sku")
        if max_days_of_cover is not None:
            raise unsupported(VENDOR, "get_stock", "max_days_of_cover (no demand forecast on Shopify)")
        node = await self._variant(sku)
        levels: list[StockLevel] = []
        for level in await self._levels(node):
            quantities = {x["name"]: int(x["quantity"]) for x in level["quantities"]}
            location = legacy_id(level["location"]["id"])
            if warehouse_id is None or warehouse_id == location:
                levels.append(
                    StockLevel(
                        sku=sku,
                        warehouse_id=location,
                        on_hand=quantities.get("on_hand", 0),
                        reserved=quantities.get("committed", 0),
                        available=quantities.get("available", 0),
                        days_of_cover=None,
                    )
                )
        return Page(items=levels[:limit], total=len(levels))

    async def sales_report(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        sku: str | None = None,
        category: Category | None = None,
    ) -> SalesReport:
        until = until or self._today() - timedelta(days=1)
        since = since or until - timedelta(days=6)
        currency = await self.currency()
        return sales_from_mirror(
            self._writes.ledger, since=since, until=until, sku=sku, category=category, currency=currency
        )

    async def sync_orders(self) -> int:
        """Mirror orders updated since the last sync; returns the order lines stored."""
        return await sync_orders(self._api, self._writes.ledger)

    async def forecast_demand(self, *, sku: str, horizon_days: int = 14, service_level: float = 0.95) -> DemandForecast:
        raise unsupported(VENDOR, "forecast_demand", "forecasts run on the sandbox; use sales_report for history")

    async def list_forecasts(self, **_: object) -> Page[DemandForecast]:
        raise unsupported(VENDOR, "list_forecasts", "forecasts run on the sandbox; use sales_report for history")

    # -- stock ----------------------------------------------------------------------------------------------------

    async def adjust_stock(
        self,
        *,
        sku: str,
        warehouse_id: str,
        delta: int,
        expected_on_hand: int,
        reason: str,
        idempotency_key: str | None = None,
    ) -> StockAdjustment:
        args = {
            "sku": sku,
            "warehouse_id": warehouse_id,
            "delta": delta,
            "expected_on_hand": expected_on_hand,
            "reason": reason,
        }

        async def plan() -> WritePlan[StockAdjustment]:
            if not reason.strip():
                raise InvalidArgument("reason: say why the stock changes (e.g. recount, damaged)", field="reason")
            node = await self._variant(sku)
            level = next(
                (lv for lv in await self._levels(node) if legacy_id(lv["location"]["id"]) == warehouse_id), None
            )
            if level is None:
                raise NotFound(
                    f"No Shopify location {warehouse_id!r} stocks {sku}; call get_stock", field="warehouse_id"
                )
            on_hand = next((int(x["quantity"]) for x in level["quantities"] if x["name"] == "on_hand"), 0)
            if on_hand != expected_on_hand:
                raise Conflict(
                    f"expected_on_hand {expected_on_hand} is stale: {sku} has {on_hand} on hand at {warehouse_id}; "
                    "decide again from the current value",
                    field="expected_on_hand",
                )
            new = on_hand + delta
            if new < 0:
                raise PolicyViolation(f"stock may not go negative ({on_hand} + {delta})", field="delta")
            item, location = node["inventoryItem"]["id"], level["location"]["id"]
            key = idempotency_key or str(uuid.uuid4())

            async def send() -> None:
                await self._set_quantity(item, location, quantity=new, change_from=on_hand, key=key)

            return WritePlan(
                result=StockAdjustment(
                    sku=sku, warehouse_id=warehouse_id, previous_on_hand=on_hand, on_hand=new, reason=reason
                ),
                changes=[
                    ObjectChange(
                        kind="inventory_level",
                        object_id=f"{item}@{location}",
                        before={"on_hand": on_hand},
                        after={"on_hand": new},
                    )
                ],
                effect=f"{sku} at {warehouse_id}: on hand {on_hand} → {new}",
                send=send,
            )

        return await self._writes.run(
            tool="adjust_stock", args=args, key=idempotency_key, result_type=StockAdjustment, plan=plan
        )

    async def _set_quantity(self, item: str, location: str, *, quantity: int, change_from: int, key: str) -> None:
        variables = {
            "input": {
                "name": "on_hand",
                "reason": "correction",
                "quantities": [
                    {
                        "inventoryItemId": item,
                        "locationId": location,
                        "quantity": quantity,
                        "changeFromQuantity": change_from,
                    }
                ],
            },
            "key": key,
        }
        data = await self._api.run(q.SET_QUANTITIES, variables, retry_safe=True)
        raise_user_errors(data.get("inventorySetQuantities"), "the stock change")

    # -- prices ---------------------------------------------------------------------------------------------------

    def _prices(self) -> ShopifyPrices:
        async def summary(sku: str) -> tuple[dict[str, Any], ProductSummary]:
            node = await self._variant(sku)
            found = self._summary(node, await self.currency())
            if found is None:
                raise NotFound(f"SKU {sku!r} is outside the managed categories", field="sku")
            return node, found

        return ShopifyPrices(self._api, self._writes, limits=self._limits, summary=summary, floor=self._floor)

    async def set_price(
        self, *, sku: str, price_minor: int, currency: str, idempotency_key: str | None = None
    ) -> PriceChange:
        return await self._prices().set(sku=sku, price_minor=price_minor, currency=currency, key=idempotency_key)

    # -- promotions, undo and what Shopify does not do -----------------------------------------------------------

    def _promotions(self) -> ShopifyPromotions:
        async def product(sku: str) -> tuple[Product, str]:
            node = await self._variant(sku)
            return await self.get_product(sku=sku), node["id"]

        return ShopifyPromotions(self._api, self._writes, limits=self._limits, today=self._today, product=product)

    async def list_promotions(
        self, *, sku: str | None = None, active_only: bool = False, cursor: str | None = None, limit: int = 20
    ) -> Page[Promotion]:
        return await self._promotions().list(sku=sku, active_only=active_only, cursor=cursor, limit=limit)

    async def schedule_promotion(
        self,
        *,
        sku: str,
        discount_pct: int,
        starts_on: date,
        ends_on: date,
        label: str,
        idempotency_key: str | None = None,
    ) -> PromotionChange:
        return await self._promotions().schedule(
            sku=sku, discount_pct=discount_pct, starts_on=starts_on, ends_on=ends_on, label=label, key=idempotency_key
        )

    async def end_promotion(self, *, promotion_id: str, idempotency_key: str | None = None) -> PromotionChange:
        return await self._promotions().end(promotion_id=promotion_id, key=idempotency_key)

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        return await undo_with_vendor(self._writes, token=token, key=idempotency_key, compensate=self._compensate)

    async def _compensate(self, change: ObjectChange, key: str) -> None:
        before, after = change.before or {}, change.after or {}
        if change.kind == "inventory_level":
            item, location = change.object_id.split("@", 1)
            await self._set_quantity(item, location, quantity=before["on_hand"], change_from=after["on_hand"], key=key)
        elif change.kind == "variant_price":
            await self._prices().compensate(change)
        else:
            await self._promotions().compensate(change)

    async def update_product_content(self, **_: object) -> ContentChange:
        raise unsupported(VENDOR, "update_product_content", "product copy is edited in the Shopify admin")

    async def list_purchase_orders(self, **_: object) -> Page[PurchaseOrder]:
        raise unsupported(VENDOR, "list_purchase_orders", "Shopify has no purchase orders; they stay in the sandbox")

    async def create_purchase_order(self, **_: object) -> PurchaseOrderChange:
        raise unsupported(VENDOR, "create_purchase_order", "Shopify has no purchase orders; they stay in the sandbox")

    async def confirm_purchase_order(self, **_: object) -> PurchaseOrderChange:
        raise unsupported(VENDOR, "confirm_purchase_order", "Shopify has no purchase orders")

    async def cancel_purchase_order(self, **_: object) -> PurchaseOrderChange:
        raise unsupported(VENDOR, "cancel_purchase_order", "Shopify has no purchase orders")
