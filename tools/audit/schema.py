"""Audit tables (in their own MetaData), engine set-up for SQLite and PostgreSQL, and locked write transactions.

Schema 2 added a MAC to every record and the chain link plus Merkle frontier to every checkpoint; a log created
by an earlier Cadencia lacks those columns and is read-only until `cadencia audit migrate` checks and signs it.
"""

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
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Text,
    cast,
    func,
    insert,
    inspect,
    literal,
    null,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from cadencia.tools.store.engine import WRITE, normalize_url, open_engine

SeqType = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid
HEAD_ID = 1
RECORD_COLUMNS = ("seq", "recorded_at", "run_id", "actor", "kind", "payload", "leaf_hash", "prev_hash", "chain_hash")
"""The columns every record has had since the first schema, in table order (the MAC follows them)."""
ADDED_RECORD_COLUMNS = ("mac",)
ADDED_CHECKPOINT_COLUMNS = ("chain_hash", "frontier")
FIRST_CHECKPOINT_COLUMNS = ("id", "tree_size", "root_hash", "issued_at", "key_id", "signature")


@dataclass(frozen=True)
class AuditTables:
    """The three tables of one audit log: records, signed checkpoints, and the one-row head PostgreSQL writers lock."""

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
        Column("mac", String(64), nullable=True),
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
        Column("chain_hash", String(64), nullable=True),
        Column("frontier", Text(), nullable=True),
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


def lock_schema(conn: Connection, tables: AuditTables) -> None:
    """Serialize schema changes of one log across PostgreSQL sessions (SQLite's write lock already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_advisory_key(tables.head.name))))


def missing_columns(conn: Connection, tables: AuditTables) -> list[str]:
    """Schema-2 columns an existing log lacks (`records.mac`, …); empty for a current log."""
    inspector = inspect(conn)
    have_records = {c["name"] for c in inspector.get_columns(tables.records.name)}
    have_checkpoints = {c["name"] for c in inspector.get_columns(tables.checkpoints.name)}
    missing = [f"{tables.records.name}.{name}" for name in ADDED_RECORD_COLUMNS if name not in have_records]
    return missing + [
        f"{tables.checkpoints.name}.{name}" for name in ADDED_CHECKPOINT_COLUMNS if name not in have_checkpoints
    ]


def create_tables(engine: Engine, tables: AuditTables) -> bool:
    """Create the tables and the head row if missing (safe from several processes); True if the log is current."""
    with writing(engine) as conn:
        lock_schema(conn, tables)
        tables.metadata.create_all(conn)
        if conn.execute(select(tables.head.c.id).where(tables.head.c.id == HEAD_ID)).first() is None:
            conn.execute(insert(tables.head).values(id=HEAD_ID, seq=0, chain_hash=""))
        return not missing_columns(conn, tables)


def record_columns(tables: AuditTables) -> Select[tuple[int, str, str, str, str, str, str, str, str]]:
    """SELECT of the record columns every schema has, in table order."""
    return select(*(tables.records.c[name] for name in RECORD_COLUMNS))


__all__ = ["WRITE", "normalize_url", "open_engine"]


def checkpoint_rows(tables: AuditTables, *, current: bool) -> Select[tuple[object, ...]]:
    """SELECT of stored checkpoints, oldest first, with the columns this log's schema has."""
    names = FIRST_CHECKPOINT_COLUMNS + (ADDED_CHECKPOINT_COLUMNS if current else ())
    table = tables.checkpoints
    return select(*(table.c[name] for name in names)).order_by(table.c.id)


def _utf8(dialect_name: str, text: ColumnElement[str]) -> ColumnElement[bytes]:
    if dialect_name == "postgresql":  # a text-to-bytea cast would read backslashes as escapes
        return func.convert_to(text, literal("UTF8"), type_=LargeBinary)
    return cast(text, LargeBinary)


def record_entries(tables: AuditTables, dialect_name: str, *, with_mac: bool) -> Select[tuple[object, ...]]:
    """SELECT of seq, the entry each record's hashes should cover, built by the database as UTF-8 bytes, and the
    stored leaf_hash, prev_hash, chain_hash and MAC (or NULL): the fast verification pass reads nothing else.

    The entry is canonical JSON with the string fields quoted by the database (`json_quote`, `to_json`), which
    writes what Python's encoder writes; were they ever to differ, the hashes would not match and the
    diagnosing pass, which quotes in Python, would decide.
    """
    r = tables.records

    def quoted(column: ColumnElement[str]) -> ColumnElement[str]:
        if dialect_name == "postgresql":
            return cast(func.to_json(column), Text)
        return func.json_quote(column, type_=Text)

    def text(value: str) -> ColumnElement[str]:
        return literal(value, Text)

    entry = (
        text('{"actor":') + quoted(r.c.actor)
        + text(',"kind":') + quoted(r.c.kind)
        + text(',"payload":') + r.c.payload
        + text(',"prev_hash":') + quoted(r.c.prev_hash)
        + text(',"recorded_at":') + quoted(r.c.recorded_at)
        + text(',"run_id":') + quoted(r.c.run_id)
        + text(',"seq":') + cast(r.c.seq, Text) + text("}")
    )  # fmt: skip
    hashes = (_utf8(dialect_name, r.c[name]) for name in ("leaf_hash", "prev_hash", "chain_hash"))
    mac = _utf8(dialect_name, r.c.mac) if with_mac else null()
    return select(r.c.seq, _utf8(dialect_name, entry), *hashes, mac).order_by(r.c.seq)


def record_bytes(tables: AuditTables, dialect_name: str, *, with_mac: bool) -> Select[tuple[object, ...]]:
    """SELECT of the record columns with every text column as its UTF-8 bytes (the MAC, or NULL, last).

    Verification hashes these bytes as they are: no decoding, no JSON parsing, no re-encoding.
    """
    records = tables.records
    columns = [records.c.seq, *(_utf8(dialect_name, records.c[name]) for name in RECORD_COLUMNS[1:])]
    mac = _utf8(dialect_name, records.c.mac) if with_mac else null()
    return select(*columns, mac).order_by(records.c.seq)
