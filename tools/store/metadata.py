"""The shared SQLAlchemy MetaData; capability `tables.py` modules register their tables here.

Only portable column types are used (integers, text, booleans, floats; dates as ISO-8601 text) so rows
round-trip exactly through JSON for undo snapshots and hash identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table

metadata = MetaData()

BOOKKEEPING = "bookkeeping"


def is_bookkeeping(table: Table) -> bool:
    """Journal tables (undo log, idempotency, call record) are not part of the world's state hash."""
    return bool(table.info.get(BOOKKEEPING))
