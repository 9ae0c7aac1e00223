"""Imports every capability's tables onto the shared metadata and creates them."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

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


def create_all(engine: Engine) -> None:
    """Create missing tables; one query when none is missing, and safe when several processes open the store at once."""
    present = set(inspect(engine).get_table_names())
    if all(table.name in present for table in metadata.sorted_tables):
        return
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        serialize(conn, SCHEMA_LOCK)
        metadata.create_all(conn)


def drop_all(engine: Engine) -> None:
    metadata.drop_all(engine)
