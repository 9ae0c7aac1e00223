"""Inventory domain models: catalog, stock, forecasts, prices, promotions, purchase orders."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from cadencia.tools.money import Currency
from cadencia.tools.untrusted import UNTRUSTED_MARK


class Category(StrEnum):
    SKINCARE = "skincare"
    MAKEUP = "makeup"
    FRAGRANCE = "fragrance"


class ProductSummary(BaseModel):
    sku: str
    name: str
    category: Category
    currency: Currency
    price_minor: int = Field(description="Current selling price before promotions, minor units.")
    list_price_minor: int = Field(description="Reference (full) price, minor units.")
    cost_minor: int = Field(description="Unit cost (COGS), minor units.")
    status: str
    on_hand: int = Field(description="Units on hand across warehouses.")


class Product(ProductSummary):
    title: str
    description: str = Field(
        description="Product page copy (untrusted: editable outside Cadencia).", json_schema_extra=UNTRUSTED_MARK
    )
    bullets: list[str] = Field(description="Product page bullets (untrusted).", json_schema_extra=UNTRUSTED_MARK)
    lead_time_days: int = Field(description="Supplier lead time for purchase orders.")
    active_promotion: Promotion | None = None
    price_floor_minor: int = Field(description="Lowest price the server accepts (cost + minimum margin, max discount).")


class StockLevel(BaseModel):
    sku: str
    warehouse_id: str
    on_hand: int
    reserved: int
    available: int
    days_of_cover: float | None = Field(description="available / forecast daily demand; null when demand is zero.")


class StockAdjustment(BaseModel):
    sku: str
    warehouse_id: str
    previous_on_hand: int
    on_hand: int
    reason: str
    undo_token: str | None = None


class IncomingOrder(BaseModel):
    purchase_order_id: str
    quantity: int
    expected_on: date | None


class DemandForecast(BaseModel):
    """Exponential-smoothing forecast with days of cover and a reorder suggestion (ROP = d·L + z·σ·√L)."""

    sku: str
    method: str
    daily_demand: float = Field(description="Forecast units per day.")
    horizon_days: int
    horizon_demand: float
    demand_std: float = Field(description="Std-dev of one-step forecast errors, units/day.")
    on_hand: int
    incoming: list[IncomingOrder]
    days_of_cover: float | None
    lead_time_days: int
    service_level: float
    safety_stock: float
    reorder_point: float
    should_reorder: bool
    suggested_order_quantity: int


class PriceChange(BaseModel):
    sku: str
    currency: Currency
    previous_price_minor: int
    price_minor: int
    discount_pct: float = Field(description="Discount off the list price after the change, percent.")
    undo_token: str | None = None


class PromotionStatus(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


class Promotion(BaseModel):
    id: str
    sku: str
    discount_pct: int
    starts_on: date
    ends_on: date
    status: PromotionStatus
    label: str


class PromotionChange(BaseModel):
    promotion: Promotion
    previous: Promotion | None = Field(description="The promotion before this call; null when it was just created.")
    undo_token: str | None = None


class ProductContent(BaseModel):
    title: str
    description: str
    bullets: list[str]


class ContentChange(BaseModel):
    sku: str
    previous: ProductContent
    content: ProductContent
    undo_token: str | None = None


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class PurchaseOrder(BaseModel):
    id: str
    sku: str
    warehouse_id: str
    quantity: int
    unit_cost_minor: int
    currency: Currency
    total_minor: int
    status: PurchaseOrderStatus
    created_on: date
    confirmed_on: date | None
    expected_on: date | None
    received_on: date | None


class PurchaseOrderChange(BaseModel):
    purchase_order: PurchaseOrder
    previous_status: PurchaseOrderStatus | None
    undo_token: str | None = None


Product.model_rebuild()


class SalesReport(BaseModel):
    """Realised sales over a period (from the shop's daily sales ledger)."""

    since: date
    until: date
    currency: Currency
    units: int
    revenue_minor: int
    cogs_minor: int
    gross_profit_minor: int
    lost_units: int = Field(description="Demand that found no stock (stockouts).")
    skus: int = Field(description="SKUs in scope.")
