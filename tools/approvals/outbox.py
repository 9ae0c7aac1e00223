"""The notices outbox: one row per (approval, request hash, event, channel), claimed by one process at a time.

Approvals are never changed to notify about them: a drainer finds new waiting and expired approvals in the store,
queues a notice per channel (inserted once, whoever sees it first), then claims and sends them. A claim is a lease,
so a process killed mid-send leaves a notice that another drainer sends after the lease lapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cadencia.tools.approvals.schema import TIME, reading, writing

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
LEASE = timedelta(minutes=5)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def notices_table(prefix: str = "cadencia") -> Table:
    return Table(
        f"{prefix}_approval_notices",
        MetaData(),
        Column("approval_id", String(200), primary_key=True),
        Column("request_hash", String(64), primary_key=True),
        Column("event", String(16), primary_key=True),
        Column("channel", String(200), primary_key=True),
        Column("state", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", TIME, nullable=False),
        Column("lease_until", TIME),
        Column("sent_at", TIME),
        Column("last_error", Text()),
    )


@dataclass(frozen=True)
class Notice:
    approval_id: str
    request_hash: str
    event: str
    channel: str
    state: str
    attempts: int
    last_error: str | None = None


class Outbox:
    """Queue, claim and settle notices in the approvals database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, *, table_prefix: str = "cadencia") -> None:
        self.engine = engine
        self.table = notices_table(table_prefix)
        with writing(engine) as conn:
            self.table.metadata.create_all(conn)

    def queue(self, approval_id: str, request_hash: str, event: str, channels: list[str], *, at: datetime) -> int:
        """Queue one notice per channel unless already queued; returns how many were new."""
        added = 0
        with writing(self.engine) as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            for channel in channels:
                stmt = dialect.insert(self.table).values(
                    approval_id=approval_id,
                    request_hash=request_hash,
                    event=event,
                    channel=channel,
                    state=QUEUED,
                    attempts=0,
                    created_at=_time(at),
                )
                added += conn.execute(stmt.on_conflict_do_nothing()).rowcount or 0
        return added

    def claim(self, *, at: datetime, limit: int = 20) -> list[Notice]:
        """Notices this process now owns (queued, or sending under a lapsed lease), each leased for a while."""
        c = self.table.c
        lapsed = (c.state == SENDING) & (c.lease_until < _time(at))
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(self.table).where(or_(c.state == QUEUED, lapsed)).order_by(c.created_at).limit(limit)
            ).mappings()
            candidates = [dict(r) for r in rows]
        claimed = []
        for row in candidates:
            key = (
                (c.approval_id == row["approval_id"])
                & (c.request_hash == row["request_hash"])
                & (c.event == row["event"])
                & (c.channel == row["channel"])
            )
            with writing(self.engine) as conn:
                done = conn.execute(
                    update(self.table)
                    .where(key, or_(c.state == QUEUED, lapsed))
                    .values(state=SENDING, lease_until=_time(at + LEASE))
                )
            if done.rowcount == 1:
                claimed.append(
                    Notice(
                        row["approval_id"], row["request_hash"], row["event"], row["channel"], SENDING, row["attempts"]
                    )
                )
        return claimed

    def settle(self, notice: Notice, *, sent: bool, attempts: int, error: str | None, at: datetime) -> None:
        c = self.table.c
        key = (
            (c.approval_id == notice.approval_id)
            & (c.request_hash == notice.request_hash)
            & (c.event == notice.event)
            & (c.channel == notice.channel)
        )
        with writing(self.engine) as conn:
            conn.execute(
                update(self.table)
                .where(key)
                .values(
                    state=SENT if sent else FAILED,
                    attempts=notice.attempts + attempts,
                    sent_at=_time(at) if sent else None,
                    last_error=error,
                    lease_until=None,
                )
            )

    def all(self) -> list[Notice]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(self.table).order_by(self.table.c.created_at)).mappings().all()
        return [
            Notice(
                r["approval_id"],
                r["request_hash"],
                r["event"],
                r["channel"],
                r["state"],
                r["attempts"],
                r["last_error"],
            )
            for r in rows
        ]
