"""Bookkeeping tables: the undo journal, idempotency keys, the server's own call record, counters, the clock."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from cadencia.tools.store.metadata import BOOKKEEPING, metadata

world = Table(
    "world",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
"""World-level facts that are part of the state (the simulated date, the brand)."""

undo_log = Table(
    "undo_log",
    metadata,
    Column("token", String(80), primary_key=True),
    Column("capability", String(16), nullable=False),
    Column("tool", String(64), nullable=False),
    Column("changes", Text, nullable=False),
    Column("used", Boolean, nullable=False, default=False),
    Column("created_at", String(32), nullable=False),
    info={BOOKKEEPING: True},
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("capability", String(16), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("tool", String(64), nullable=False),
    Column("args_hash", String(64), nullable=False),
    Column("result", Text, nullable=False),
    info={BOOKKEEPING: True},
)

calls = Table(
    "calls",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("capability", String(16), nullable=False),
    Column("tool", String(64), nullable=False),
    Column("day", String(10), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("args", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("idempotency_key", String(200)),
    Column("undo_token", String(80)),
    Column("principal", String(120)),
    Column("touched", Text, nullable=False, default="[]"),
    info={BOOKKEEPING: True},
)
"""The server's own record of every world-changing call, whoever the client was."""

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
    info={BOOKKEEPING: True},
)
