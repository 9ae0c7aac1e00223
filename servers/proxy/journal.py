"""The proxy's undo journal: per undo token, the inverse call, the before-image and the image the call left.

It lives beside the approvals (same database, SQLite or PostgreSQL), so a token outlives the proxy process, and an
undo is claimed with a compare-and-set on its state: two undos of one token never both run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import JsonValue
from sqlalchemy import Column, Engine, MetaData, String, Table, Text, select, update

from cadencia.tools.approvals.schema import TIME, reading, writing
from cadencia.tools.store.canonical import canonical_json
from cadencia.tools.store.engine import open_engine


class UndoState(StrEnum):
    OPEN = "open"
    UNDOING = "undoing"
    UNDONE = "undone"
    FAILED = "failed"


def undo_table(prefix: str = "cadencia") -> Table:
    return Table(
        f"{prefix}_proxy_undo",
        MetaData(),
        Column("token", String(64), primary_key=True),
        Column("subject", String(200), nullable=False),
        Column("tool", String(200), nullable=False),
        Column("read", Text(), nullable=False),
        Column("inverse", Text(), nullable=False),
        Column("capture", Text(), nullable=False),
        Column("before", Text(), nullable=False),
        Column("after", Text(), nullable=False),
        Column("state", String(16), nullable=False),
        Column("created_at", TIME, nullable=False),
        Column("changed_at", TIME, nullable=False),
        Column("note", Text(), nullable=False),
    )


@dataclass(frozen=True)
class UpstreamCall:
    tool: str
    args: dict[str, JsonValue]


@dataclass(frozen=True)
class UndoEntry:
    """One call that can be undone: the read that shows its image, the images before and after, the inverse."""

    token: str
    subject: str
    tool: str
    read: UpstreamCall
    inverse: UpstreamCall
    capture: list[str]
    before: dict[str, JsonValue]
    after: dict[str, JsonValue]
    state: UndoState = UndoState.OPEN
    note: str = ""


def _call(text: str) -> UpstreamCall:
    data = json.loads(text)
    return UpstreamCall(tool=data["tool"], args=data["args"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class UndoJournal:
    """Undo entries in SQLite (a workdir file) or PostgreSQL (by URL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.table = undo_table()
        with writing(engine) as conn:
            self.table.metadata.create_all(conn)

    @classmethod
    def open(cls, url_or_path: str | Path) -> UndoJournal:
        return cls(open_engine(url_or_path))

    def close(self) -> None:
        self.engine.dispose()

    def record(self, entry: UndoEntry) -> None:
        now = _now()
        with writing(self.engine) as conn:
            conn.execute(
                self.table.insert().values(
                    token=entry.token,
                    subject=entry.subject,
                    tool=entry.tool,
                    read=canonical_json({"tool": entry.read.tool, "args": entry.read.args}),
                    inverse=canonical_json({"tool": entry.inverse.tool, "args": entry.inverse.args}),
                    capture=canonical_json(entry.capture),
                    before=canonical_json(entry.before),
                    after=canonical_json(entry.after),
                    state=entry.state.value,
                    created_at=now,
                    changed_at=now,
                    note=entry.note,
                )
            )

    def get(self, token: str) -> UndoEntry | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(self.table).where(self.table.c.token == token)).mappings().first()
        if row is None:
            return None
        return UndoEntry(
            token=row["token"],
            subject=row["subject"],
            tool=row["tool"],
            read=_call(row["read"]),
            inverse=_call(row["inverse"]),
            capture=json.loads(row["capture"]),
            before=json.loads(row["before"]),
            after=json.loads(row["after"]),
            state=UndoState(row["state"]),
            note=row["note"],
        )

    def move(self, token: str, *, from_state: UndoState, to_state: UndoState, note: str = "") -> bool:
        """Compare-and-set of the entry's state; False when another undo moved it first."""
        with writing(self.engine) as conn:
            done = conn.execute(
                update(self.table)
                .where(self.table.c.token == token, self.table.c.state == from_state.value)
                .values(state=to_state.value, changed_at=_now(), note=note)
            )
        return done.rowcount == 1
