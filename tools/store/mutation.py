"""A write transaction that records the before/after of every row it touches, so undo is exact.

Concurrency (several server processes on one PostgreSQL database, READ COMMITTED): a write locks what it decides
on before reading it. Rows are read with `SELECT … FOR UPDATE` (`row`, `update`, `delete`, and lookups called with
`lock=True`), so compare-and-set checks and undo before-images see the latest committed value and nobody changes it
until commit. State that spans rows (budget caps, frequency caps, unique names) is guarded by a named lock
(`serialize`) that every writer of that state takes first. On SQLite all of this is free: a write transaction
begins with BEGIN IMMEDIATE and excludes every other writer, and `FOR UPDATE` compiles to nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Table, and_, delete, insert, select, update

from cadencia.tools.store.engine import dialect_insert
from cadencia.tools.store.journal import counters
from cadencia.tools.store.locks import serialize
from cadencia.tools.store.metadata import metadata

Row = dict[str, Any]


class RowChange(BaseModel):
    """One row's state before and after a change; None means the row did not exist."""

    table: str
    key: dict[str, Any]
    before: Row | None
    after: Row | None


def primary_key(table: Table, values: Row) -> dict[str, Any]:
    return {col.name: values[col.name] for col in table.primary_key.columns}


def _where(table: Table, key: dict[str, Any]):
    return and_(*(table.c[name] == value for name, value in key.items()))


def fetch_row(conn: Connection, table: Table, key: dict[str, Any], *, lock: bool = False) -> Row | None:
    """One row by primary key; `lock=True` holds it (`FOR UPDATE`) until the transaction ends."""
    stmt = select(table).where(_where(table, key))
    found = conn.execute(stmt.with_for_update() if lock else stmt).mappings().first()
    return dict(found) if found is not None else None


class Mutation:
    """Row-level writes inside one transaction; every change is journaled for the undo token."""

    def __init__(self, conn: Connection, today: date) -> None:
        self.conn = conn
        self.today = today
        self.changes: list[RowChange] = []
        self.bulk_tables: set[str] = set()

    def row(self, table: Table, **key: Any) -> Row | None:
        """Read and lock one row the call decides on (None if it does not exist)."""
        return fetch_row(self.conn, table, key, lock=True)

    def serialize(self, name: str) -> None:
        """Take the named lock guarding state that spans rows (e.g. a cap over many campaigns) until commit."""
        serialize(self.conn, name)

    def insert(self, table: Table, values: Row) -> Row:
        self.conn.execute(insert(table).values(**values))
        key = primary_key(table, values)
        after = fetch_row(self.conn, table, key)
        self.changes.append(RowChange(table=table.name, key=key, before=None, after=after))
        assert after is not None
        return after

    def update(self, table: Table, key: dict[str, Any], values: Row) -> tuple[Row, Row]:
        """Update one row by primary key; returns (before, after). The caller has checked it exists."""
        before = fetch_row(self.conn, table, key, lock=True)
        if before is None:
            raise LookupError(f"{table.name} {key} vanished inside the transaction")
        self.conn.execute(update(table).where(_where(table, key)).values(**values))
        after = fetch_row(self.conn, table, key)
        assert after is not None
        if after != before:
            self.changes.append(RowChange(table=table.name, key=key, before=before, after=after))
        return before, after

    def delete(self, table: Table, key: dict[str, Any]) -> Row:
        before = fetch_row(self.conn, table, key, lock=True)
        if before is None:
            raise LookupError(f"{table.name} {key} does not exist")
        self.conn.execute(delete(table).where(_where(table, key)))
        self.changes.append(RowChange(table=table.name, key=key, before=before, after=None))
        return before

    def touch(self, table: Table) -> None:
        """Note a set-based write this mutation made outside the row journal (irreversible calls only)."""
        self.bulk_tables.add(table.name)

    @property
    def touched(self) -> list[str]:
        return sorted({c.table for c in self.changes} | self.bulk_tables)

    def next_id(self, prefix: str) -> str:
        """A deterministic id such as `PO-000042` from a counter outside the hashed state."""
        value = self.conn.execute(
            update(counters)
            .where(counters.c.name == prefix)
            .values(value=counters.c.value + 1)
            .returning(counters.c.value)
        ).scalar()
        if value is None:
            value = 1
            self.conn.execute(insert(counters).values(name=prefix, value=value))
        return f"{prefix}-{value:06d}"


def insert_unless_present(conn: Connection, table: Table, values: Row) -> bool:
    """Insert a row unless its primary key exists (waiting for a concurrent insert of it to end); True if inserted."""
    keys = list(table.primary_key.columns)
    stmt = dialect_insert(conn, table).values(**values).on_conflict_do_nothing(index_elements=keys).returning(*keys)
    return conn.execute(stmt).first() is not None


def restore(conn: Connection, change: RowChange) -> None:
    """Put a row back to `change.before`: update it in place, re-create it, or delete it if it did not exist."""
    table = metadata.tables[change.table]
    if change.before is None:
        conn.execute(delete(table).where(_where(table, change.key)))
    elif change.after is None:
        conn.execute(insert(table).values(**change.before))
    else:
        conn.execute(update(table).where(_where(table, change.key)).values(**change.before))
