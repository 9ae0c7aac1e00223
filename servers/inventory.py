"""Inventory MCP tools: thin wrappers over an `InventoryBackend`."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from cadencia.servers.context import backends, progress_to
from cadencia.servers.params import ID_MAX, Cursor, Day, IdempotencyKey, Limit, Sku, UndoToken
from cadencia.servers.toolset import ToolSet
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
    PurchaseOrderStatus,
    SalesReport,
    StockAdjustment,
    StockLevel,
)
from cadencia.tools.paging import Page
from cadencia.tools.reversibility import Reversibility as Rv
from cadencia.tools.undo import UndoResult

tools = ToolSet("inventory")
WarehouseId = Annotated[str, Field(min_length=1, max_length=ID_MAX)]


@tools.tool(Rv.READ, title="List products")
async def list_products(
    ctx: Context,
    category: Annotated[Category | None, Field(default=None)] = None,
    query: Annotated[str | None, Field(default=None, max_length=100)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[ProductSummary]:
    """Catalog page: price, cost and units on hand per SKU; start here to find SKUs."""
    return await backends(ctx).inventory.list_products(category=category, query=query, cursor=cursor, limit=limit)


@tools.tool(Rv.READ, title="Get product")
async def get_product(ctx: Context, sku: Sku) -> Product:
    """One product: prices, cost, content, lead time, active promotion and price floor."""
    return await backends(ctx).inventory.get_product(sku=sku)


@tools.tool(Rv.READ, title="Get stock")
async def get_stock(
    ctx: Context,
    sku: Annotated[str | None, Field(default=None, max_length=32)] = None,
    warehouse_id: Annotated[str | None, Field(default=None, max_length=ID_MAX)] = None,
    max_days_of_cover: Annotated[float | None, Field(default=None, ge=0, le=3650)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[StockLevel]:
    """Stock per SKU and warehouse with days of cover; filter by cover to find stockout risks."""
    return await backends(ctx).inventory.get_stock(
        sku=sku, warehouse_id=warehouse_id, max_days_of_cover=max_days_of_cover, cursor=cursor, limit=limit
    )


@tools.tool(Rv.READ, title="Forecast demand")
async def forecast_demand(
    ctx: Context,
    sku: Sku,
    horizon_days: Annotated[int, Field(default=14, ge=1, le=180)] = 14,
    service_level: Annotated[
        float, Field(default=0.95, ge=0.5, le=0.999, description="In-stock probability for safety stock.")
    ] = 0.95,
) -> DemandForecast:
    """Demand forecast for one SKU: days of cover, reorder point and a suggested order quantity."""
    return await backends(ctx).inventory.forecast_demand(
        sku=sku, horizon_days=horizon_days, service_level=service_level
    )


@tools.tool(Rv.READ, title="List forecasts")
async def list_forecasts(
    ctx: Context,
    category: Annotated[Category | None, Field(default=None)] = None,
    reorder_only: Annotated[bool, Field(default=False)] = False,
    horizon_days: Annotated[int, Field(default=14, ge=1, le=180)] = 14,
    service_level: Annotated[
        float, Field(default=0.95, ge=0.5, le=0.999, description="In-stock probability for safety stock.")
    ] = 0.95,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[DemandForecast]:
    """forecast_demand for a page of SKUs; reorder_only=true lists what to reorder now."""
    with progress_to(ctx):
        return await backends(ctx).inventory.list_forecasts(
            category=category,
            reorder_only=reorder_only,
            horizon_days=horizon_days,
            service_level=service_level,
            cursor=cursor,
            limit=limit,
        )


@tools.tool(Rv.READ, title="Sales report")
async def sales_report(
    ctx: Context,
    since: Annotated[Day | None, Field(default=None)] = None,
    until: Annotated[Day | None, Field(default=None)] = None,
    sku: Annotated[str | None, Field(default=None, max_length=32)] = None,
    category: Annotated[Category | None, Field(default=None)] = None,
) -> SalesReport:
    """Units, revenue, COGS, gross profit and units lost to stockouts over a period."""
    with progress_to(ctx):
        return await backends(ctx).inventory.sales_report(since=since, until=until, sku=sku, category=category)


@tools.tool(Rv.REVERSIBLE, title="Adjust stock", idempotent=True)
async def adjust_stock(
    ctx: Context,
    sku: Sku,
    warehouse_id: WarehouseId,
    delta: Annotated[int, Field(ge=-1_000_000, le=1_000_000)],
    expected_on_hand: Annotated[int, Field(ge=0)],
    reason: Annotated[str, Field(min_length=3, max_length=200)],
    idempotency_key: IdempotencyKey = None,
) -> StockAdjustment:
    """Correct on-hand stock, compare-and-set on expected_on_hand; never below zero."""
    return await backends(ctx).inventory.adjust_stock(
        sku=sku,
        warehouse_id=warehouse_id,
        delta=delta,
        expected_on_hand=expected_on_hand,
        reason=reason,
        idempotency_key=idempotency_key,
    )


@tools.tool(Rv.REVERSIBLE, title="Set price", idempotent=True)
async def set_price(
    ctx: Context,
    sku: Sku,
    price_minor: Annotated[int, Field(gt=0, le=10_000_000)],
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")],
    idempotency_key: IdempotencyKey = None,
) -> PriceChange:
    """Change a selling price; refused below the price floor or beyond the max change per call."""
    return await backends(ctx).inventory.set_price(
        sku=sku, price_minor=price_minor, currency=currency, idempotency_key=idempotency_key
    )


@tools.tool(Rv.READ, title="List promotions")
async def list_promotions(
    ctx: Context,
    sku: Annotated[str | None, Field(default=None, max_length=32)] = None,
    active_only: Annotated[bool, Field(default=False)] = False,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Promotion]:
    """Promotions, newest last: check before schedule_promotion, which refuses overlapping ones."""
    return await backends(ctx).inventory.list_promotions(sku=sku, active_only=active_only, cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Schedule promotion", additive=True)
async def schedule_promotion(
    ctx: Context,
    sku: Sku,
    discount_pct: Annotated[int, Field(ge=1, le=90)],
    starts_on: Annotated[Day, Field(description="Today or later.")],
    ends_on: Annotated[Day, Field()],
    label: Annotated[str, Field(min_length=1, max_length=120)],
    idempotency_key: IdempotencyKey = None,
) -> PromotionChange:
    """Schedule a % discount; refused above the max discount, below cost + margin, or overlapping."""
    return await backends(ctx).inventory.schedule_promotion(
        sku=sku,
        discount_pct=discount_pct,
        starts_on=starts_on,
        ends_on=ends_on,
        label=label,
        idempotency_key=idempotency_key,
    )


@tools.tool(Rv.REVERSIBLE, title="End promotion", idempotent=True)
async def end_promotion(
    ctx: Context,
    promotion_id: Annotated[str, Field(min_length=1, max_length=ID_MAX)],
    idempotency_key: IdempotencyKey = None,
) -> PromotionChange:
    """End a scheduled or running promotion now."""
    return await backends(ctx).inventory.end_promotion(promotion_id=promotion_id, idempotency_key=idempotency_key)


@tools.tool(Rv.REVERSIBLE, title="Update product content", idempotent=True)
async def update_product_content(
    ctx: Context,
    sku: Sku,
    title: Annotated[str | None, Field(default=None, min_length=1, max_length=200)] = None,
    description: Annotated[str | None, Field(default=None, min_length=1, max_length=5000)] = None,
    bullets: Annotated[list[str] | None, Field(default=None, max_length=10)] = None,
    idempotency_key: IdempotencyKey = None,
) -> ContentChange:
    """Edit a product page's title, description or bullets; returns the previous content."""
    return await backends(ctx).inventory.update_product_content(
        sku=sku, title=title, description=description, bullets=bullets, idempotency_key=idempotency_key
    )


@tools.tool(Rv.READ, title="List purchase orders")
async def list_purchase_orders(
    ctx: Context,
    sku: Annotated[str | None, Field(default=None, max_length=32)] = None,
    status: Annotated[PurchaseOrderStatus | None, Field(default=None)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[PurchaseOrder]:
    """Purchase orders with status and arrival: check what is on order before ordering more."""
    return await backends(ctx).inventory.list_purchase_orders(sku=sku, status=status, cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Create purchase order (draft)", additive=True)
async def create_purchase_order(
    ctx: Context,
    sku: Sku,
    warehouse_id: WarehouseId,
    quantity: Annotated[int, Field(gt=0, le=1_000_000)],
    idempotency_key: IdempotencyKey = None,
) -> PurchaseOrderChange:
    """Draft a purchase order at unit cost; nothing reaches the supplier until confirmed."""
    return await backends(ctx).inventory.create_purchase_order(
        sku=sku, warehouse_id=warehouse_id, quantity=quantity, idempotency_key=idempotency_key
    )


@tools.tool(Rv.IRREVERSIBLE, title="Confirm purchase order", idempotent=True, open_world=True)
async def confirm_purchase_order(
    ctx: Context,
    purchase_order_id: Annotated[str, Field(min_length=1, max_length=16)],
    idempotency_key: IdempotencyKey = None,
) -> PurchaseOrderChange:
    """Send a draft purchase order to the supplier. IRREVERSIBLE commitment: get approval first."""
    return await backends(ctx).inventory.confirm_purchase_order(
        purchase_order_id=purchase_order_id, idempotency_key=idempotency_key
    )


@tools.tool(Rv.REVERSIBLE, title="Cancel purchase order", idempotent=True)
async def cancel_purchase_order(
    ctx: Context,
    purchase_order_id: Annotated[str, Field(min_length=1, max_length=16)],
    idempotency_key: IdempotencyKey = None,
) -> PurchaseOrderChange:
    """Cancel a draft purchase order (a confirmed one cannot be cancelled)."""
    return await backends(ctx).inventory.cancel_purchase_order(
        purchase_order_id=purchase_order_id, idempotency_key=idempotency_key
    )


@tools.tool(Rv.REVERSIBLE, title="Undo an inventory change")
async def undo(ctx: Context, token: UndoToken, idempotency_key: IdempotencyKey = None) -> UndoResult:
    """Restore what one reversible inventory call changed; refused if the entity changed since."""
    return await backends(ctx).inventory.undo(token=token, idempotency_key=idempotency_key)
