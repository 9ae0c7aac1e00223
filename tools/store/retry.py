"""Which database errors mean "another transaction got there first; run the whole call again", and how long to wait.

Under READ COMMITTED with row and named locks, PostgreSQL still reports three kinds of contention that a fresh
attempt resolves: a deadlock between two lock orders (40P01), a serialization failure (40001), and a unique key
inserted by a concurrent transaction after this one looked for it (23505: a stock row, a counter, a restored row).
A retry re-reads everything, so it decides as if it had run after the other transaction. SQLite serialises writers
up front and never needs one.
"""

from __future__ import annotations

import random

from sqlalchemy.exc import DBAPIError

MAX_ATTEMPTS = 8
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "23505"})
BASE_BACKOFF_S = 0.004
MAX_BACKOFF_S = 0.25


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.orig, "sqlstate", None) if isinstance(exc, DBAPIError) else None


def is_transient(exc: BaseException) -> bool:
    """True for a PostgreSQL error that a new attempt of the same call can succeed past."""
    return _sqlstate(exc) in TRANSIENT_SQLSTATES


def is_lock_timeout(exc: BaseException) -> bool:
    """A lock wait longer than the engine allows: PostgreSQL's lock_timeout (55P03) or SQLite's busy timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    return _sqlstate(exc) == "55P03" or getattr(exc.orig, "sqlite_errorname", None) == "SQLITE_BUSY"


def backoff_s(attempt: int) -> float:
    """Full-jitter exponential backoff before attempt `attempt + 1`, so two colliding callers drift apart."""
    return random.uniform(0, min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2**attempt))
