"""Audit tables (in their own MetaData), engine set-up for SQLite and PostgreSQL, and locked write transactions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from cadencia.tools.store.engine import WRITE, normalize_url, open_engine

SeqType = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid
HEAD_ID = 1


@dataclass(frozen=True)
class AuditTables:
    """The three tables of one audit log: records, signed checkpoints, and the one-row head appends lock."""

    metadata: MetaData
    records: Table
    checkpoints: Table
    head: Table


def audit_tables(prefix: str = "audit") -> AuditTables:
    """Fresh table definitions named `<prefix>_records`, `<prefix>_checkpoints`, `<prefix>_head`."""
    metadata = MetaData()
    records = Table(
        f"{prefix}_records",
        metadata,
        Column("seq", SeqType, primary_key=True, autoincrement=False),
        Column("recorded_at", String(40), nullable=False),
        Column("run_id", String(), nullable=False),
        Column("actor", String(), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("payload", Text(), nullable=False),
        Column("leaf_hash", String(64), nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("chain_hash", String(64), nullable=False),
        Index(f"ix_{prefix}_records_run_id", "run_id", "seq"),
    )
    checkpoints = Table(
        f"{prefix}_checkpoints",
        metadata,
        Column("id", Integer(), primary_key=True, autoincrement=True),
        Column("tree_size", BigInteger(), nullable=False),
        Column("root_hash", String(64), nullable=False),
        Column("issued_at", String(40), nullable=False),
        Column("key_id", String(16), nullable=False),
        Column("signature", String(128), nullable=False),
    )
    head = Table(
        f"{prefix}_head",
        metadata,
        Column("id", Integer(), primary_key=True, autoincrement=False),
        Column("seq", BigInteger(), nullable=False),
        Column("chain_hash", String(64), nullable=False),
    )
    return AuditTables(metadata=metadata, records=records, checkpoints=checkpoints, head=head)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction, serialized against every other writer of the same database."""
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction over a stable snapshot (WAL on SQLite, REPEATABLE READ on PostgreSQL)."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def create_tables(engine: Engine, tables: AuditTables) -> None:
    """Create the tables and the head row if missing; safe when several processes open the log at once."""
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_advisory_key(tables.head.name))))
        tables.metadata.create_all(conn)
        if conn.execute(select(tables.head.c.id).where(tables.head.c.id == HEAD_ID)).first() is None:
            conn.execute(insert(tables.head).values(id=HEAD_ID, seq=0, chain_hash=""))


__all__ = ["WRITE", "normalize_url", "open_engine"]
