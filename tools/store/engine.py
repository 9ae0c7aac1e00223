"""SQLAlchemy engines for every Cadencia database: SQLite (WAL, writers lock up front) or PostgreSQL by URL."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.pool import StaticPool

WRITE = "cadencia_write"
"""Execution option marking a connection that will write: SQLite then begins with BEGIN IMMEDIATE."""


def dialect_insert(conn: Connection, table: Table) -> Any:
    """An INSERT of the connection's dialect (PostgreSQL or SQLite), which offers `on_conflict_do_*`.

    The dialect module is found by name: the engine has already loaded it, and the other one is never imported
    (a SQLite server does not pay for the PostgreSQL dialect at start-up).
    """
    return importlib.import_module(f"sqlalchemy.dialects.{conn.dialect.name}").insert(table)


def normalize_url(url_or_path: str | Path) -> str:
    """Accept a file path, `sqlite:///…`, `postgresql://…`, `postgres://…` or `postgresql+psycopg://…`."""
    text = str(url_or_path)
    for scheme in ("postgresql://", "postgres://"):
        if text.startswith(scheme):
            return "postgresql+psycopg://" + text.removeprefix(scheme)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser()}"


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "isolation_level": None, "timeout": busy_timeout_ms / 1000},
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the lock up front, so two writers never deadlock upgrading a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


def open_engine(url_or_path: str | Path, *, busy_timeout_ms: int = 30_000) -> Engine:
    """SQLite waits up to `busy_timeout_ms` for the write lock; PostgreSQL waits as long for any row or named lock,
    then fails the statement (55P03) instead of letting a stuck replica hold every other one up indefinitely."""
    url = normalize_url(url_or_path)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms)
    return create_engine(url, pool_pre_ping=True, connect_args={"options": f"-c lock_timeout={busy_timeout_ms}"})
