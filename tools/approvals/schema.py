"""The approvals table (own MetaData, like the audit log) and its transactions on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Column, Connection, Engine, Index, MetaData, String, Table, Text

from cadencia.tools.store.engine import WRITE

TIME = String(40)
"""UTC ISO-8601 with microseconds: text that sorts in time order on every database."""


def approvals_table(prefix: str = "cadencia") -> Table:
    """`<prefix>_approvals`: one row per (approval id, request hash)."""
    metadata = MetaData()
    return Table(
        f"{prefix}_approvals",
        metadata,
        Column("approval_id", String(200), primary_key=True),
        Column("request_hash", String(64), primary_key=True),
        Column("tool", String(200), nullable=False),
        Column("run_id", String(200)),
        Column("subject", String(200)),
        Column("request", Text(), nullable=False),
        Column("requested_at", TIME, nullable=False),
        Column("expires_at", TIME, nullable=False),
        Column("state", String(16), nullable=False),
        Column("approver", String(200)),
        Column("note", Text(), nullable=False),
        Column("answered_at", TIME),
        Column("used_at", TIME),
        Index(f"ix_{prefix}_approvals_state", "state", "expires_at"),
        Index(f"ix_{prefix}_approvals_run", "run_id"),
    )


def approval_uses_table(metadata: MetaData, prefix: str = "cadencia") -> Table:
    """`<prefix>_approval_uses`: an approval being used by one call (`executing`) or used (`done`).

    The claim is durable so a call that never finished (a crash, an unknown outcome) keeps its approval from running
    a second time; a retry may take the claim over only with the same idempotency key, which the backends replay."""
    return Table(
        f"{prefix}_approval_uses",
        metadata,
        Column("approval_id", String(200), primary_key=True),
        Column("request_hash", String(64), primary_key=True),
        Column("call_ref", String(120), nullable=False),
        Column("idempotency_key", String(200)),
        Column("state", String(16), nullable=False),
        Column("claimed_at", TIME, nullable=False),
        Column("finished_at", TIME),
    )


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction, serialized against other writers (SQLite BEGIN IMMEDIATE; rows locked on PostgreSQL)."""
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn
