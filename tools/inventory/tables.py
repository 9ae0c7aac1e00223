"""Inventory tables: catalog, warehouses, stock, daily sales history, promotions, purchase orders."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from cadencia.tools.store.metadata import metadata

products = Table(
    "products",
    metadata,
    Column("sku", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("list_price_minor", Integer, nullable=False),
    Column("price_minor", Integer, nullable=False),
    Column("cost_minor", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("bullets", Text, nullable=False),
    Column("lead_time_days", Integer, nullable=False),
)
"""`bullets` is a JSON list."""

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("country", String(2), nullable=False),
)

stock = Table(
    "stock",
    metadata,
    Column("sku", String(32), ForeignKey("products.sku"), primary_key=True),
    Column("warehouse_id", String(16), ForeignKey("warehouses.id"), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
)

sales_daily = Table(
    "sales_daily",
    metadata,
    Column("sku", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("units", Integer, nullable=False),
    Column("revenue_minor", Integer, nullable=False),
    Column("lost_units", Integer, nullable=False, default=0),
)

promotions = Table(
    "promotions",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("sku", String(32), ForeignKey("products.sku"), nullable=False, index=True),
    Column("discount_pct", Integer, nullable=False),
    Column("starts_on", String(10), nullable=False),
    Column("ends_on", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("label", String(120), nullable=False),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("sku", String(32), ForeignKey("products.sku"), nullable=False, index=True),
    Column("warehouse_id", String(16), ForeignKey("warehouses.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_cost_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_on", String(10), nullable=False),
    Column("confirmed_on", String(10)),
    Column("expected_on", String(10)),
    Column("received_on", String(10)),
)

# One index per filter the inventory tools offer, each ending in the list order so a filtered page is a range scan;
# the sales window carries the summed columns, so sales_report reads the index alone.
Index("ix_products_category_sku", products.c.category, products.c.sku)
Index("ix_stock_warehouse_sku", stock.c.warehouse_id, stock.c.sku)
Index(
    "ix_sales_daily_window",
    sales_daily.c.day,
    sales_daily.c.sku,
    sales_daily.c.units,
    sales_daily.c.revenue_minor,
    sales_daily.c.lost_units,
)
Index("ix_promotions_status_id", promotions.c.status, promotions.c.id)
Index("ix_purchase_orders_status_id", purchase_orders.c.status, purchase_orders.c.id)
