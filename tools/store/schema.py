"""Imports every capability's tables onto the shared metadata and creates them."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, Index, inspect, text

from cadencia.tools.ads import tables as _ads  # noqa: F401
from cadencia.tools.crm import tables as _crm  # noqa: F401
from cadencia.tools.inventory import tables as _inventory  # noqa: F401
from cadencia.tools.reviews import tables as _reviews  # noqa: F401
from cadencia.tools.store import claims as _claims  # noqa: F401
from cadencia.tools.store import journal as _journal  # noqa: F401
from cadencia.tools.store.engine import WRITE
from cadencia.tools.store.locks import serialize
from cadencia.tools.store.metadata import metadata
from cadencia.tools.vendors import tables as _vendors  # noqa: F401

SCHEMA_LOCK = "cadencia.schema"


def _index_names(conn: Connection) -> set[str]:
    if conn.dialect.name == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    return set(conn.execute(text(query)).scalars())


def _missing_indexes(conn: Connection) -> list[Index]:
    present = _index_names(conn)
    return [
        i for t in metadata.sorted_tables for i in sorted(t.indexes, key=lambda i: str(i.name)) if i.name not in present
    ]


def create_all(engine: Engine) -> None:
    """Create missing tables and indexes (a store made by an older version gains the new indexes on open).

    Two queries when nothing is missing, and safe when several processes open the store at once.
    """
    present = set(inspect(engine).get_table_names())
    if all(table.name in present for table in metadata.sorted_tables):
        with engine.connect() as conn:
            if not _missing_indexes(conn):
                return
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        serialize(conn, SCHEMA_LOCK)
        metadata.create_all(conn)
        for index in _missing_indexes(conn):
            index.create(conn)


def drop_all(engine: Engine) -> None:
    metadata.drop_all(engine)
