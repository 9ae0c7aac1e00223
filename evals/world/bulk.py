"""Bulk writes straight to the driver's executemany, for the per-SKU rows written every simulated day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.dml import UpdateBase


def execute_many(conn: Connection, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run `statement` once per row, skipping SQLAlchemy's per-row parameter processing (half the cost at 100k rows).

    Only for plain values (int, float, str, bool, None), which both SQLite and psycopg take as they are.
    """
    if not rows:
        return
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        names = compiled.positiontup or []
        conn.exec_driver_sql(str(compiled), [tuple(row[name] for name in names) for row in rows])
    else:
        conn.exec_driver_sql(str(compiled), [dict(row) for row in rows])


def execute_rows(
    conn: Connection, statement: UpdateBase, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """`execute_many` for rows given as tuples in `columns` order (no dict per row)."""
    if not rows:
        return
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        at = [columns.index(name) for name in compiled.positiontup or []]
        if at == list(range(len(columns))):
            conn.exec_driver_sql(str(compiled), list(rows))
        else:
            conn.exec_driver_sql(str(compiled), [tuple(row[i] for i in at) for row in rows])
    else:
        conn.exec_driver_sql(str(compiled), [dict(zip(columns, row, strict=True)) for row in rows])
