"""Things that happen on a date: purchase orders arriving, promotions starting and ending."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select, update

from cadencia.tools.inventory.tables import promotions, purchase_orders, stock

LIVE_PROMOTION = ("scheduled", "active")


def receive_purchase_orders(conn: Connection, day: date) -> dict[str, int]:
    """Put every confirmed order due by `day` into its warehouse's stock; returns units received per SKU."""
    po = purchase_orders.c
    iso = day.isoformat()
    due = conn.execute(
        select(po.id, po.sku, po.warehouse_id, po.quantity)
        .where(po.status == "confirmed", po.expected_on <= iso)
        .order_by(po.id)
    ).all()
    received: dict[str, int] = {}
    for _, sku, warehouse, quantity in due:
        where = (stock.c.sku == sku) & (stock.c.warehouse_id == warehouse)
        if conn.execute(update(stock).where(where).values(on_hand=stock.c.on_hand + quantity)).rowcount == 0:
            conn.execute(insert(stock).values(sku=sku, warehouse_id=warehouse, on_hand=quantity, reserved=0))
        received[sku] = received.get(sku, 0) + quantity
    if due:
        ids = [row.id for row in due]
        conn.execute(update(purchase_orders).where(po.id.in_(ids)).values(status="received", received_on=iso))
    return received


def refresh_promotions(conn: Connection, day: date) -> None:
    """Promotions past `ends_on` become 'ended'; scheduled ones whose window covers `day` become 'active'."""
    pr = promotions.c
    iso = day.isoformat()
    conn.execute(update(promotions).where(pr.status.in_(LIVE_PROMOTION), pr.ends_on < iso).values(status="ended"))
    conn.execute(
        update(promotions)
        .where(pr.status == "scheduled", pr.starts_on <= iso, pr.ends_on >= iso)
        .values(status="active")
    )
