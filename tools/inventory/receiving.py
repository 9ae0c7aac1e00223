"""Goods-in: confirmed purchase orders whose expected date has come are received into stock."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select, update

from cadencia.tools.inventory.models import PurchaseOrderStatus
from cadencia.tools.inventory.tables import purchase_orders, stock


def receive_due_purchase_orders(conn: Connection, day: date) -> list[tuple[str, str, int]]:
    """Receive every confirmed order expected on or before `day`; returns (po_id, sku, quantity) received."""
    due = (
        conn.execute(
            select(purchase_orders)
            .where(
                purchase_orders.c.status == PurchaseOrderStatus.CONFIRMED.value,
                purchase_orders.c.expected_on <= day.isoformat(),
            )
            .order_by(purchase_orders.c.id)
        )
        .mappings()
        .all()
    )
    received: list[tuple[str, str, int]] = []
    for po in due:
        moved = conn.execute(
            update(stock)
            .where(stock.c.sku == po["sku"], stock.c.warehouse_id == po["warehouse_id"])
            .values(on_hand=stock.c.on_hand + po["quantity"])
        ).rowcount
        if moved == 0:
            conn.execute(
                insert(stock).values(sku=po["sku"], warehouse_id=po["warehouse_id"], on_hand=po["quantity"], reserved=0)
            )
        conn.execute(
            update(purchase_orders)
            .where(purchase_orders.c.id == po["id"])
            .values(status=PurchaseOrderStatus.RECEIVED.value, received_on=day.isoformat())
        )
        received.append((po["id"], po["sku"], po["quantity"]))
    return received
