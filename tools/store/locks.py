"""Named transaction locks: what serialises writers of state that spans rows (caps, counters, schema creation).

On PostgreSQL a named lock is a transaction-scoped advisory lock, released at commit or rollback. SQLite needs
none: its writers begin with BEGIN IMMEDIATE, so a write transaction already excludes every other writer.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, func, select


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (the same in every process and on every machine)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def serialize(conn: Connection, name: str) -> None:
    """Hold the lock `name` until this transaction ends; every writer of what `name` guards must take it first."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(advisory_key(name))))
