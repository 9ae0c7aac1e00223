"""The inventory capability's contract: the sandbox and any vendor adapter implement it."""

from __future__ import annotations

from datetime import date
from typing import Protocol

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
from cadencia.tools.undo import UndoResult


class InventoryBackend(Protocol):
    async def list_products(
        self, *, category: Category | None, query: str | None, cursor: str | None, limit: int
    ) -> Page[ProductSummary]: ...

    async def get_product(self, *, sku: str) -> Product: ...

    async def get_stock(
        self,
        *,
        sku: str | None,
        warehouse_id: str | None,
        max_days_of_cover: float | None,
        cursor: str | None,
        limit: int,
    ) -> Page[StockLevel]: ...

    async def forecast_demand(self, *, sku: str, horizon_days: int, service_level: float) -> DemandForecast: ...

    async def list_forecasts(
        self,
        *,
        category: Category | None,
        reorder_only: bool,
        horizon_days: int,
        service_level: float,
        cursor: str | None,
        limit: int,
    ) -> Page[DemandForecast]: ...

    async def sales_report(
        self, *, since: date | None, until: date | None, sku: str | None, category: Category | None
    ) -> SalesReport: ...

    async def adjust_stock(
        self,
        *,
        sku: str,
        warehouse_id: str,
        delta: int,
        expected_on_hand: int,
        reason: str,
        idempotency_key: str | None,
    ) -> StockAdjustment: ...

    async def set_price(
        self, *, sku: str, price_minor: int, currency: str, idempotency_key: str | None
    ) -> PriceChange: ...

    async def list_promotions(
        self, *, sku: str | None, active_only: bool, cursor: str | None, limit: int
    ) -> Page[Promotion]: ...

    async def schedule_promotion(
        self, *, sku: str, discount_pct: int, starts_on: date, ends_on: date, label: str, idempotency_key: str | None
    ) -> PromotionChange: ...

    async def end_promotion(self, *, promotion_id: str, idempotency_key: str | None) -> PromotionChange: ...

    async def update_product_content(
        self,
        *,
        sku: str,
        title: str | None,
        description: str | None,
        bullets: list[str] | None,
        idempotency_key: str | None,
    ) -> ContentChange: ...

    async def list_purchase_orders(
        self, *, sku: str | None, status: PurchaseOrderStatus | None, cursor: str | None, limit: int
    ) -> Page[PurchaseOrder]: ...

    async def create_purchase_order(
        self, *, sku: str, warehouse_id: str, quantity: int, idempotency_key: str | None
    ) -> PurchaseOrderChange: ...

    async def confirm_purchase_order(
        self, *, purchase_order_id: str, idempotency_key: str | None
    ) -> PurchaseOrderChange: ...

    async def cancel_purchase_order(
        self, *, purchase_order_id: str, idempotency_key: str | None
    ) -> PurchaseOrderChange: ...

    async def undo(self, *, token: str, idempotency_key: str | None) -> UndoResult: ...
