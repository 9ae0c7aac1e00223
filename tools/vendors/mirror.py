"""The local mirror of vendor history the analytics need: order lines (sales) and daily ad insights."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from pydantic import BaseModel
from sqlalchemy import Connection, delete, func, insert, select, update

from cadencia.tools.errors import VendorError
from cadencia.tools.inventory.models import Category, SalesReport
from cadencia.tools.vendors.ledger import VendorLedger
from cadencia.tools.vendors.tables import vendor_insights_daily, vendor_order_lines, vendor_sync_state


class OrderLine(BaseModel):
    order_id: str
    sku: str
    day: date
    units: int
    revenue_minor: int
    cogs_minor: int
    category: str
    currency: str
    updated_at: str


class DailyInsight(BaseModel):
    campaign_id: str
    day: date
    spend_minor: int
    impressions: int
    clicks: int
    conversions: int
    revenue_minor: int
    currency: str


def watermark(ledger: VendorLedger, stream: str) -> str | None:
    t = vendor_sync_state
    with ledger.store.reading() as conn:
        return conn.execute(select(t.c.watermark).where(t.c.backend == ledger.backend, t.c.stream == stream)).scalar()


def _set_watermark(conn: Connection, backend: str, stream: str, value: str) -> None:
    t = vendor_sync_state
    now = datetime.now(UTC).isoformat(timespec="seconds")
    where = (t.c.backend == backend, t.c.stream == stream)
    if conn.execute(update(t).where(*where).values(watermark=value, synced_at=now)).rowcount == 0:
        conn.execute(insert(t).values(backend=backend, stream=stream, watermark=value, synced_at=now))


def store_orders(ledger: VendorLedger, lines: Iterable[OrderLine], new_watermark: str) -> int:
    """Replace the mirrored lines of every order seen (orders change: refunds, edits) and advance the watermark."""
    rows = list(lines)
    t = vendor_order_lines
    with ledger.store.writing() as conn:
        for order_id in {r.order_id for r in rows}:
            conn.execute(delete(t).where(t.c.backend == ledger.backend, t.c.order_id == order_id))
        merged: dict[tuple[str, str], OrderLine] = {}
        for row in rows:
            key = (row.order_id, row.sku)
            if key in merged:
                prior = merged[key]
                row = prior.model_copy(
                    update={
                        "units": prior.units + row.units,
                        "revenue_minor": prior.revenue_minor + row.revenue_minor,
                        "cogs_minor": prior.cogs_minor + row.cogs_minor,
                    }
                )
            merged[key] = row
        for row in merged.values():
            conn.execute(insert(t).values(backend=ledger.backend, **{**row.model_dump(), "day": row.day.isoformat()}))
        _set_watermark(conn, ledger.backend, "orders", new_watermark)
    return len(merged)


def store_insights(ledger: VendorLedger, rows: Iterable[DailyInsight], new_watermark: str) -> int:
    """Upsert daily insight rows (recent days are restated by the platforms, so they are re-read and replaced)."""
    t = vendor_insights_daily
    count = 0
    with ledger.store.writing() as conn:
        for row in rows:
            key = (t.c.backend == ledger.backend, t.c.campaign_id == row.campaign_id, t.c.day == row.day.isoformat())
            conn.execute(delete(t).where(*key))
            conn.execute(insert(t).values(backend=ledger.backend, **{**row.model_dump(), "day": row.day.isoformat()}))
            count += 1
        _set_watermark(conn, ledger.backend, "insights", new_watermark)
    return count


def sales_from_mirror(
    ledger: VendorLedger, *, since: date, until: date, sku: str | None, category: Category | None, currency: str
) -> SalesReport:
    """A sales report over mirrored order lines; refused until a first sync has run."""
    t = vendor_order_lines
    where = [t.c.backend == ledger.backend, t.c.day >= since.isoformat(), t.c.day <= until.isoformat()]
    if sku:
        where.append(t.c.sku == sku)
    if category:
        where.append(t.c.category == category.value)
    if watermark(ledger, "orders") is None:
        raise VendorError(
            f"no {ledger.backend} order history is mirrored yet; run `cadencia sync` first", rule="not_synced"
        )
    with ledger.store.reading() as conn:
        units, revenue, cogs, skus = conn.execute(
            select(
                func.coalesce(func.sum(t.c.units), 0),
                func.coalesce(func.sum(t.c.revenue_minor), 0),
                func.coalesce(func.sum(t.c.cogs_minor), 0),
                func.count(func.distinct(t.c.sku)),
            ).where(*where)
        ).one()
    return SalesReport(
        since=since,
        until=until,
        currency=currency,
        units=int(units),
        revenue_minor=int(revenue),
        cogs_minor=int(cogs),
        gross_profit_minor=int(revenue) - int(cogs),
        lost_units=0,
        skus=int(skus),
    )
