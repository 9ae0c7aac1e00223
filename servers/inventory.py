"""Inventory MCP tools: thin wrappers over an `InventoryBackend`."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from cadencia.servers.context import backends
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
WarehouseId = Annotated[str, Field(min_length=1, max_length=ID_MAX, description="Warehouse id, e.g. WH-MAD or WH-BOG.")]


@tools.tool(Rv.READ, title="List products")
async def list_products(
    ctx: Context,
    category: Annotated[Category | None, Field(default=None, description="Filter by category.")] = None,
    query: Annotated[str | None, Field(default=None, max_length=100, description="Substring of the name.")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[ProductSummary]:
    """List catalog products with current price and units on hand, one page at a time."""
    return await backends(ctx).inventory.list_products(category=category, query=query, cursor=cursor, limit=limit)


@tools.tool(Rv.READ, title="Get product")
async def get_product(ctx: Context, sku: Sku) -> Product:
    """Full product record: prices, cost, content, lead time, active promotion and the server's price floor."""
    return await backends(ctx).inventory.get_product(sku=sku)


@tools.tool(Rv.READ, title="Get stock")
async def get_stock(
    ctx: Context,
    sku: Annotated[str | None, Field(default=None, max_length=32, description="Only this SKU.")] = None,
    warehouse_id: Annotated[
        str | None, Field(default=None, max_length=ID_MAX, description="Only this warehouse.")
    ] = None,
    max_days_of_cover: Annotated[
        float | None, Field(default=None, ge=0, le=3650, description="Only rows with at most this many days of cover.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[StockLevel]:
    """Stock by SKU and warehouse with days of cover; filter with max_days_of_cover to find stockout risks."""
    return await backends(ctx).inventory.get_stock(
        sku=sku, warehouse_id=warehouse_id, max_days_of_cover=max_days_of_cover, cursor=cursor, limit=limit
    )


@tools.tool(Rv.READ, title="Forecast demand")
async def forecast_demand(
    ctx: Context,
    sku: Sku,
    horizon_days: Annotated[int, Field(default=14, ge=1, le=180, description="Days to forecast.")] = 14,
    service_level: Annotated[
        float, Field(default=0.95, ge=0.5, le=0.999, description="Target in-stock probability for safety stock.")
    ] = 0.95,
) -> DemandForecast:
    """Exponential-smoothing demand forecast with days of cover, reorder point and a suggested order quantity."""
    return await backends(ctx).inventory.forecast_demand(
        sku=sku, horizon_days=horizon_days, service_level=service_level
    )


@tools.tool(Rv.READ, title="List forecasts")
async def list_forecasts(
    ctx: Context,
    category: Annotated[Category | None, Field(default=None, description="Only this category.")] = None,
    reorder_only: Annotated[
        bool, Field(default=False, description="Only SKUs at or below their reorder point.")
    ] = False,
    horizon_days: Annotated[int, Field(default=14, ge=1, le=180, description="Days to forecast.")] = 14,
    service_level: Annotated[
        float, Field(default=0.95, ge=0.5, le=0.999, description="Target in-stock probability for safety stock.")
    ] = 0.95,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[DemandForecast]:
    """forecast_demand for many SKUs at once (one page); reorder_only=true lists what needs replenishing now."""
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
    since: Annotated[Day | None, Field(default=None, description="First day; default 7 days before until.")] = None,
    until: Annotated[Day | None, Field(default=None, description="Last day; default yesterday.")] = None,
    sku: Annotated[str | None, Field(default=None, max_length=32, description="Only this SKU.")] = None,
    category: Annotated[Category | None, Field(default=None, description="Only this category.")] = None,
) -> SalesReport:
    """Units, revenue, COGS, gross profit and lost (stockout) units over a period."""
    return await backends(ctx).inventory.sales_report(since=since, until=until, sku=sku, category=category)


@tools.tool(Rv.REVERSIBLE, title="Adjust stock", idempotent=True)
async def adjust_stock(
    ctx: Context,
    sku: Sku,
    warehouse_id: WarehouseId,
    delta: Annotated[int, Field(ge=-1_000_000, le=1_000_000, description="Units to add (+) or remove (-).")],
    expected_on_hand: Annotated[int, Field(ge=0, description="Current on_hand you read; refused if it changed.")],
    reason: Annotated[str, Field(min_length=3, max_length=200, description="Why (count correction, damage...).")],
    idempotency_key: IdempotencyKey = None,
) -> StockAdjustment:
    """Correct on-hand stock with compare-and-set; stock can never go negative. Reversible with undo."""
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
    price_minor: Annotated[int, Field(gt=0, le=10_000_000, description="New price in minor units (2990 = 29.90).")],
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO currency of the price, e.g. EUR.")],
    idempotency_key: IdempotencyKey = None,
) -> PriceChange:
    """Change a product's selling price. Refused below the cost/discount floor or beyond the max change.

    Reversible: returns the previous price and an undo_token.
    """
    return await backends(ctx).inventory.set_price(
        sku=sku, price_minor=price_minor, currency=currency, idempotency_key=idempotency_key
    )


@tools.tool(Rv.READ, title="List promotions")
async def list_promotions(
    ctx: Context,
    sku: Annotated[str | None, Field(default=None, max_length=32, description="Only this SKU.")] = None,
    active_only: Annotated[bool, Field(default=False, description="Only scheduled or active ones.")] = False,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[Promotion]:
    """Promotions, newest last."""
    return await backends(ctx).inventory.list_promotions(sku=sku, active_only=active_only, cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Schedule promotion", additive=True)
async def schedule_promotion(
    ctx: Context,
    sku: Sku,
    discount_pct: Annotated[int, Field(ge=1, le=90, description="Percent off the current price.")],
    starts_on: Annotated[Day, Field(description="First day (YYYY-MM-DD), today or later.")],
    ends_on: Annotated[Day, Field(description="Last day (YYYY-MM-DD).")],
    label: Annotated[str, Field(min_length=1, max_length=120, description="Shopper-facing label.")],
    idempotency_key: IdempotencyKey = None,
) -> PromotionChange:
    """Schedule a percentage promotion. Refused above the max discount, below cost + margin, or overlapping.

    Reversible with undo until it is changed again.
    """
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
    promotion_id: Annotated[str, Field(min_length=1, max_length=ID_MAX, description="Promotion id, e.g. PR-000001.")],
    idempotency_key: IdempotencyKey = None,
) -> PromotionChange:
    """End a scheduled or running promotion now. Reversible with undo."""
    return await backends(ctx).inventory.end_promotion(promotion_id=promotion_id, idempotency_key=idempotency_key)


@tools.tool(Rv.REVERSIBLE, title="Update product content", idempotent=True)
async def update_product_content(
    ctx: Context,
    sku: Sku,
    title: Annotated[str | None, Field(default=None, min_length=1, max_length=200)] = None,
    description: Annotated[str | None, Field(default=None, min_length=1, max_length=5000)] = None,
    bullets: Annotated[
        list[str] | None, Field(default=None, max_length=10, description="Up to 10 bullet points.")
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> ContentChange:
    """Edit the product page (title, description, bullets); returns the previous content. Reversible with undo."""
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
    """Purchase orders with status and expected arrival."""
    return await backends(ctx).inventory.list_purchase_orders(sku=sku, status=status, cursor=cursor, limit=limit)


@tools.tool(Rv.REVERSIBLE, title="Create purchase order (draft)", additive=True)
async def create_purchase_order(
    ctx: Context,
    sku: Sku,
    warehouse_id: WarehouseId,
    quantity: Annotated[int, Field(gt=0, le=1_000_000, description="Units to order.")],
    idempotency_key: IdempotencyKey = None,
) -> PurchaseOrderChange:
    """Draft a purchase order at the product's unit cost. Nothing is sent to the supplier until confirmed."""
    return await backends(ctx).inventory.create_purchase_order(
        sku=sku, warehouse_id=warehouse_id, quantity=quantity, idempotency_key=idempotency_key
    )


@tools.tool(Rv.IRREVERSIBLE, title="Confirm purchase order", idempotent=True, open_world=True)
async def confirm_purchase_order(
    ctx: Context,
    purchase_order_id: Annotated[str, Field(min_length=1, max_length=16, description="Draft PO id, e.g. PO-000001.")],
    idempotency_key: IdempotencyKey = None,
) -> PurchaseOrderChange:
    """Send a draft purchase order to the supplier. IRREVERSIBLE: a confirmed order is a commitment; get approval."""
    return await backends(ctx).inventory.confirm_purchase_order(
        purchase_order_id=purchase_order_id, idempotency_key=idempotency_key
    )


@tools.tool(Rv.REVERSIBLE, title="Cancel purchase order", idempotent=True)
async def cancel_purchase_order(
    ctx: Context,
    purchase_order_id: Annotated[str, Field(min_length=1, max_length=16, description="Draft PO id.")],
    idempotency_key: IdempotencyKey = None,
) -> PurchaseOrderChange:
    """Cancel a draft purchase order (confirmed orders cannot be cancelled here). Reversible with undo."""
    return await backends(ctx).inventory.cancel_purchase_order(
        purchase_order_id=purchase_order_id, idempotency_key=idempotency_key
    )


@tools.tool(Rv.REVERSIBLE, title="Undo an inventory change")
async def undo(ctx: Context, token: UndoToken, idempotency_key: IdempotencyKey = None) -> UndoResult:
    """Restore exactly what one reversible inventory call changed. Refused if the entity changed since."""
    return await backends(ctx).inventory.undo(token=token, idempotency_key=idempotency_key)
