"""Bulk loading for the seed: rows go to the driver as plain tuples, COPY on PostgreSQL, `executemany` on SQLite.

SQLAlchemy's `insert(table)` with a list of dicts processes every bound value of every row in Python; the seed's
values are already what the database stores (str, int, bool, None), so they go straight to the driver. Columns
missing from the rows take the column's Python default, as `insert(table)` would. Secondary indexes are built
once after the load rather than maintained row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

from sqlalchemy import Column, Connection, Table

from cadencia.tools.store.store import Store

BATCH = 50_000
"""Rows per `executemany` call and per transaction."""

Progress = Callable[[str, int], None]


def _columns(table: Table, first: dict[str, Any]) -> tuple[list[Column[Any]], list[Any]]:
    """Columns to write (those in the rows, then those with a Python default) and the defaults' values."""
    given = [table.c[key] for key in first]
    defaulted = [c for c in table.columns if c.key not in first and c.default is not None and c.default.is_scalar]
    return given + defaulted, [c.default.arg for c in defaulted]  # type: ignore[union-attr]


def _tuples(rows: Iterable[dict[str, Any]], keys: Sequence[str], extra: list[Any]) -> Iterator[tuple[Any, ...]]:
    tail = tuple(extra)
    width = len(keys)
    for row in rows:
        if len(row) != width:
            raise ValueError(f"seed rows must all have the same columns: {sorted(row)} vs {sorted(keys)}")
        yield tuple(row[k] for k in keys) + tail


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _copy(conn: Connection, table: Table, names: str, chunk: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in chunk:
            copy.write_row(row)


def load(store: Store, table: Table, rows: Iterable[dict[str, Any]], progress: Progress | None = None) -> int:
    """Append `rows` (dicts, all with the same keys) to `table` in batches of BATCH; returns how many were written."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return 0
    columns, extra = _columns(table, first)
    quote = store.engine.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))})"
    keys = list(first)
    written = 0
    for chunk in _chunks(_tuples(_prepend(first, it), keys, extra), BATCH):
        with store.writing() as conn:
            if store.dialect == "postgresql":
                _copy(conn, table, names, chunk)
            else:
                conn.exec_driver_sql(statement, chunk)
        written += len(chunk)
        if progress:
            progress(table.name, len(chunk))
    return written


def _prepend(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


@contextmanager
def indexes_deferred(store: Store, tables: Sequence[Table], progress: Progress | None = None) -> Iterator[None]:
    """Drop the secondary indexes of `tables` (empty, so this is free), load, then build each index once.

    `progress` hears `index <name>` (0 rows) before each build: at the large scale they take minutes after the
    last row is in, and a bar at 100 % should not sit there silent. On PostgreSQL the tables are then analyzed:
    a planner without statistics on freshly COPYed tables picked sequential scans for primary-key lookups (100
    contacts' consents: 0.5 s over 3M rows instead of 1 ms) until autovacuum got round to them.
    """
    indexes = [index for table in tables for index in sorted(table.indexes, key=lambda i: str(i.name))]
    with store.writing() as conn:
        for index in indexes:
            index.drop(conn, checkfirst=True)
    yield
    with store.writing() as conn:
        for index in indexes:
            if progress:
                progress(f"index {index.name}", 0)
            index.create(conn, checkfirst=True)
    if store.dialect == "postgresql":
        if progress:
            progress("analyze", 0)
        analyze(store, tables)


def analyze(store: Store, tables: Sequence[Table]) -> None:
    """Refresh PostgreSQL's planner statistics for `tables` (after a bulk load; seconds for the large world)."""
    quote = store.engine.dialect.identifier_preparer.quote
    with store.writing() as conn:
        conn.exec_driver_sql("ANALYZE " + ", ".join(quote(t.name) for t in tables))
