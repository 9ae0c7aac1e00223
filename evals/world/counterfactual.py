"""Counterfactual runs: copy a store so a baseline and an agent start from the same state, then read the truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, insert, inspect, select, text

from cadencia.evals.world.tables import sim_campaign_days, sim_ledger
from cadencia.tools.store import schema
from cadencia.tools.store.metadata import metadata
from cadencia.tools.store.store import Store

COPY_BATCH = 5_000
MONEY = (
    "units",
    "lost_units",
    "gross_minor",
    "discounts_minor",
    "revenue_minor",
    "cogs_minor",
    "ad_spend_minor",
    "fees_minor",
    "holding_minor",
    "messaging_minor",
    "profit_minor",
)


class LedgerTotals(BaseModel):
    """Sums of the hidden ledger over a span of simulated days."""

    days: int
    units: int
    lost_units: int
    gross_minor: int
    discounts_minor: int
    revenue_minor: int
    cogs_minor: int
    ad_spend_minor: int
    fees_minor: int
    holding_minor: int
    messaging_minor: int
    profit_minor: int


class ChannelTruth(BaseModel):
    """One platform's spend next to its true incremental and its platform-attributed revenue."""

    spend_minor: int
    incremental_minor: int
    attributed_minor: int


def clone_store(store: Store, url: str | Path) -> Store:
    """Copy `store` into the new, empty database at `url` (SQLite → SQLite: the sqlite3 backup API)."""
    target = Store.open(url, create=False)
    if store.dialect == "sqlite" and target.dialect == "sqlite":
        source_raw, target_raw = store.engine.raw_connection(), target.engine.raw_connection()
        try:
            source_raw.driver_connection.backup(target_raw.driver_connection)  # type: ignore[union-attr]
        finally:
            target_raw.close()
            source_raw.close()
        return target
    _copy_tables(store, target)
    return target


def _copy_tables(source: Store, target: Store) -> None:
    """Table-by-table copy in foreign-key order, in batches; PostgreSQL sequences are moved past the copied ids."""
    schema.create_all(target.engine)
    present = set(inspect(source.engine).get_table_names())
    with source.reading() as src, target.writing() as dst:
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue
            result = src.execution_options(yield_per=COPY_BATCH).execute(select(table))
            for chunk in result.mappings().partitions():
                dst.execute(insert(table), [dict(row) for row in chunk])
            serial = table.autoincrement_column
            if target.dialect == "postgresql" and serial is not None:
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{serial.name}'), "
                        f"COALESCE((SELECT MAX({serial.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )


def _span(column: ColumnElement[str], start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    where = []
    if start is not None:
        where.append(column >= start.isoformat())
    if end is not None:
        where.append(column <= end.isoformat())
    return where


def ledger_totals(store: Store, *, start: date | None = None, end: date | None = None) -> LedgerTotals:
    """Sum the hidden ledger over simulated days in [start, end] (both optional, inclusive)."""
    sums = [func.coalesce(func.sum(sim_ledger.c[name]), 0) for name in MONEY]
    with store.reading() as conn:
        row = conn.execute(select(func.count(), *sums).where(*_span(sim_ledger.c.day, start, end))).one()
    return LedgerTotals(days=row[0], **{name: int(value) for name, value in zip(MONEY, row[1:], strict=True)})


def channel_truth(store: Store, *, start: date | None = None, end: date | None = None) -> dict[str, ChannelTruth]:
    """Per platform over [start, end]: spend, true incremental revenue (direct + halo), platform-attributed revenue."""
    c = sim_campaign_days.c
    with store.reading() as conn:
        rows = conn.execute(
            select(c.platform, func.sum(c.spend_minor), func.sum(c.incremental_minor), func.sum(c.attributed_minor))
            .where(*_span(c.day, start, end))
            .group_by(c.platform)
            .order_by(c.platform)
        ).all()
    return {
        platform: ChannelTruth(spend_minor=int(s), incremental_minor=int(i), attributed_minor=int(a))
        for platform, s, i, a in rows
    }
