"""Core statements compiled once per log and run on a DBAPI cursor, for the paths where SQLAlchemy's
per-transaction overhead would cost more than the work (appends, the verify scan).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Insert, Table, bindparam, insert
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import Compiled

Params = Sequence[Any] | Mapping[str, Any]


class Statement:
    """One statement compiled for a dialect; `params` orders values the way that dialect's driver wants them."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled: Compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._compiled = compiled
        self._order: tuple[str, ...] | None = tuple(compiled.positiontup or ()) if dialect.positional else None

    def params(self, **values: object) -> Params:
        """Driver parameters for one execution (statement defaults such as LIMIT values filled in)."""
        full = self._compiled.construct_params(values)
        return full if self._order is None else tuple(full[name] for name in self._order)

    def takes(self, columns: tuple[str, ...]) -> bool:
        """True when rows whose values follow `columns` can be passed to the driver as they are."""
        return self._order == columns

    def many(self, columns: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> list[Params]:
        """Driver parameters for `executemany` from rows whose values follow `columns`."""
        if self._order == columns:
            return list(rows)
        if self._order is None:
            return [dict(zip(columns, row, strict=True)) for row in rows]
        positions = [columns.index(name) for name in self._order]
        return [tuple(row[i] for i in positions) for row in rows]


def insert_into(table: Table, columns: tuple[str, ...]) -> Insert:
    """INSERT of exactly `columns` (bound by column name), so autoincrement keys are left to the database."""
    return insert(table).values({table.c[name]: bindparam(name) for name in columns})


def stream(conn: Connection, statement: Statement, batch: int) -> Iterator[list[Any]]:
    """Rows of a SELECT in batches from the DBAPI cursor of `conn`'s transaction (server-side on PostgreSQL)."""
    driver = conn.connection.driver_connection
    server_side = {"name": f"audit_{uuid.uuid4().hex}"} if conn.dialect.name == "postgresql" else {}
    cursor = driver.cursor(**server_side)
    try:
        cursor.execute(statement.sql, statement.params())
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()
