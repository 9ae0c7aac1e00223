"""Goods-in: confirmed purchase orders are received into stock on their expected day, and only then."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select

from cadencia.tools.inventory.models import PurchaseOrderStatus
from cadencia.tools.inventory.receiving import receive_due_purchase_orders
from cadencia.tools.inventory.sandbox import SandboxInventory
from cadencia.tools.inventory.tables import stock
from cadencia.tools.store.store import Store

SKU = "ML-000001"  # lead time 7 days: confirmed today (2026-03-02), expected 2026-03-09


def on_hand(store: Store, sku: str, warehouse_id: str) -> int | None:
    with store.reading() as conn:
        return conn.execute(
            select(stock.c.on_hand).where(stock.c.sku == sku, stock.c.warehouse_id == warehouse_id)
        ).scalar()


def receive(store: Store, day: date) -> list[tuple[str, str, int]]:
    with store.writing() as conn:
        return receive_due_purchase_orders(conn, day)


async def test_a_confirmed_order_is_received_on_its_expected_day_exactly_once(store: Store) -> None:
    inventory = SandboxInventory(store)
    draft = await inventory.create_purchase_order(sku=SKU, warehouse_id="WH-MAD", quantity=50)
    confirmed = (await inventory.confirm_purchase_order(purchase_order_id=draft.purchase_order.id)).purchase_order
    left_as_draft = await inventory.create_purchase_order(sku=SKU, warehouse_id="WH-MAD", quantity=7)
    cancelled = await inventory.create_purchase_order(sku=SKU, warehouse_id="WH-MAD", quantity=9)
    await inventory.cancel_purchase_order(purchase_order_id=cancelled.purchase_order.id)
    assert confirmed.expected_on == date(2026, 3, 9)

    assert receive(store, confirmed.expected_on - timedelta(days=1)) == []
    assert on_hand(store, SKU, "WH-MAD") == 133
    assert receive(store, confirmed.expected_on) == [(confirmed.id, SKU, 50)]
    assert on_hand(store, SKU, "WH-MAD") == 183 and on_hand(store, SKU, "WH-BOG") == 39
    assert receive(store, confirmed.expected_on + timedelta(days=3)) == []
    assert on_hand(store, SKU, "WH-MAD") == 183

    orders = {po.id: po for po in (await inventory.list_purchase_orders(sku=SKU)).items}
    received = orders[confirmed.id]
    assert (received.status, received.received_on) == (PurchaseOrderStatus.RECEIVED, confirmed.expected_on)
    assert orders[left_as_draft.purchase_order.id].status is PurchaseOrderStatus.DRAFT
    assert orders[cancelled.purchase_order.id].status is PurchaseOrderStatus.CANCELLED
    assert (await inventory.forecast_demand(sku=SKU)).incoming == []


async def test_an_overdue_order_is_received_late_and_a_missing_stock_row_is_created(store: Store) -> None:
    with store.writing() as conn:
        conn.execute(delete(stock).where(stock.c.sku == SKU, stock.c.warehouse_id == "WH-BOG"))
    inventory = SandboxInventory(store)
    draft = await inventory.create_purchase_order(sku=SKU, warehouse_id="WH-BOG", quantity=30)
    confirmed = (await inventory.confirm_purchase_order(purchase_order_id=draft.purchase_order.id)).purchase_order
    assert on_hand(store, SKU, "WH-BOG") is None

    assert receive(store, date(2026, 3, 20)) == [(confirmed.id, SKU, 30)]
    with store.reading() as conn:
        row = conn.execute(select(stock).where(stock.c.sku == SKU, stock.c.warehouse_id == "WH-BOG")).mappings().one()
    assert dict(row) == {"sku": SKU, "warehouse_id": "WH-BOG", "on_hand": 30, "reserved": 0}
    assert (await inventory.get_product(sku=SKU)).on_hand == 133 + 30
