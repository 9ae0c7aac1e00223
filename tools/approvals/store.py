"""The durable approval store: requests inserted once (deadline fixed at the first ask), answered once, used once.

The graph and the LangChain middleware ask here before pausing, so a node that re-runs on resume reads back the
original deadline instead of computing a new one. Servers can use the same store for their own approvals: a ticket
bound to a request hash (tool, canonical arguments, token subject), listable while pending, consumed once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, func, select, update

from cadencia.tools.approvals.models import Answer, ApprovalRecord, ApprovalState, ApprovalTicket
from cadencia.tools.approvals.schema import approval_uses_table, approvals_table, reading, writing
from cadencia.tools.store.canonical import canonical_json
from cadencia.tools.store.engine import dialect_insert, open_engine
from cadencia.tools.store.locks import serialize


class ApprovalNotFound(LookupError):
    """No approval with that id and request hash was ever asked."""


class ApprovalUnavailable(ValueError):
    """An approval that cannot be used: not approved, expired, or already used."""


class ApprovalInUse(ApprovalUnavailable):
    """An approval claimed by a call whose outcome is not known yet (running elsewhere, or its process died)."""

    def __init__(self, message: str, *, call_ref: str, since: datetime) -> None:
        super().__init__(message)
        self.call_ref = call_ref
        self.since = since


USE_EXECUTING = "executing"
USE_DONE = "done"


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"approval times must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class ApprovalStore:
    """Approval tickets and their answers in SQLite (a workdir file) or PostgreSQL (by URL)."""

    def __init__(self, engine: Engine, *, table_prefix: str = "cadencia") -> None:
        self.engine = engine
        self.table = approvals_table(table_prefix)
        self.uses = approval_uses_table(self.table.metadata, table_prefix)
        with writing(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(_advisory_key(self.table.name))))
            self.table.metadata.create_all(conn)

    @classmethod
    def open(cls, url_or_path: str | Path, *, table_prefix: str = "cadencia") -> ApprovalStore:
        return cls(open_engine(url_or_path), table_prefix=table_prefix)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ApprovalStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def ask(self, ticket: ApprovalTicket) -> ApprovalRecord:
        """Insert the ticket unless it is already there; return the stored one (whose deadline never moves)."""
        with writing(self.engine) as conn:
            self._insert(conn, ticket)
            row = self._row(conn, ticket.approval_id, ticket.request_hash)
        assert row is not None
        return self._record(row)

    def _insert(self, conn: Connection, ticket: ApprovalTicket) -> None:
        values = {
            "approval_id": ticket.approval_id,
            "request_hash": ticket.request_hash,
            "tool": ticket.tool,
            "run_id": ticket.run_id,
            "subject": ticket.subject,
            "request": canonical_json(ticket.request),
            "requested_at": _time(ticket.requested_at),
            "expires_at": _time(ticket.expires_at),
            "state": ApprovalState.PENDING.value,
            "note": "",
        }
        conn.execute(dialect_insert(conn, self.table).values(**values).on_conflict_do_nothing())

    def ask_once(self, ticket: ApprovalTicket) -> ApprovalRecord:
        """The open ticket (pending, within its deadline) for the same request hash and subject, or `ticket` inserted.

        Look-up and insert share one transaction under the named lock of (request, subject), so two server
        processes asked the same thing at once open one ticket, not two."""
        with writing(self.engine) as conn:
            serialize(conn, f"approval-ask:{ticket.request_hash}:{ticket.subject}")
            subject = self.table.c.subject
            open_row = (
                conn.execute(
                    select(self.table)
                    .where(
                        self.table.c.request_hash == ticket.request_hash,
                        subject.is_(None) if ticket.subject is None else subject == ticket.subject,
                        self.table.c.state == ApprovalState.PENDING.value,
                        self.table.c.expires_at >= _time(ticket.requested_at),
                    )
                    .order_by(self.table.c.requested_at)
                )
                .mappings()
                .first()
            )
            if open_row is not None:
                return self._record(open_row)
            self._insert(conn, ticket)
            row = self._row(conn, ticket.approval_id, ticket.request_hash)
        assert row is not None
        return self._record(row)

    def get(self, approval_id: str, request_hash: str) -> ApprovalRecord | None:
        with reading(self.engine) as conn:
            row = self._row(conn, approval_id, request_hash)
        return None if row is None else self._record(row)

    def answer(
        self,
        approval_id: str,
        request_hash: str,
        *,
        state: ApprovalState,
        approver: str,
        note: str = "",
        at: datetime,
    ) -> Answer:
        """Record the first answer; one given after the deadline is recorded as expired, whatever it said."""
        if not state.answered:
            raise ValueError("an answer cannot leave the approval pending")
        with writing(self.engine) as conn:
            row = self._row(conn, approval_id, request_hash, lock=True)
            if row is None:
                raise ApprovalNotFound(f"no approval {approval_id!r} for request {request_hash[:12]}… was asked")
            if row["state"] != ApprovalState.PENDING.value:
                return Answer(record=self._record(row), recorded=False)
            if _time(at) > row["expires_at"]:
                state = ApprovalState.EXPIRED
            conn.execute(
                update(self.table)
                .where(self._key(approval_id, request_hash))
                .values(state=state.value, approver=approver, note=note, answered_at=_time(at))
            )
            row = self._row(conn, approval_id, request_hash)
        assert row is not None
        return Answer(record=self._record(row), recorded=True)

    def consume(self, approval_id: str, request_hash: str, *, at: datetime) -> ApprovalRecord:
        """Use an approval once: it must be approved, within its deadline and not used before."""
        with writing(self.engine) as conn:
            self._usable(conn, approval_id, request_hash, at)
            if self._use(conn, approval_id, request_hash) is not None:
                raise ApprovalUnavailable(f"approval {approval_id!r} is held by a call that used or is using it")
            conn.execute(update(self.table).where(self._key(approval_id, request_hash)).values(used_at=_time(at)))
            row = self._row(conn, approval_id, request_hash)
        assert row is not None
        return self._record(row)

    def claim(
        self,
        approval_id: str,
        request_hash: str,
        *,
        call_ref: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> ApprovalRecord:
        """Hold an approval for one call before it runs; `finish` uses it up once the call succeeded, `release`
        gives it back when the call certainly changed nothing.

        A claim whose call never finished (still running, or its process died) refuses every other call with
        `ApprovalInUse`, except a retry with the same non-empty idempotency key: the backends replay or run that
        key once, so taking the claim over cannot run the request twice. For the same reason a used approval is
        returned again to a retry carrying the key of the call that used it (the backends replay its result)."""
        with writing(self.engine) as conn:
            self._row(conn, approval_id, request_hash, lock=True)  # claims of one approval take turns from here
            use = self._use(conn, approval_id, request_hash)
            replaying = use is not None and use["state"] == USE_DONE and bool(idempotency_key)
            if replaying and use["idempotency_key"] == idempotency_key:
                done = self._row(conn, approval_id, request_hash)
                assert done is not None
                return self._record(done)
            row = self._usable(conn, approval_id, request_hash, at)
            key = (self.uses.c.approval_id == approval_id) & (self.uses.c.request_hash == request_hash)
            claim = {"call_ref": call_ref, "idempotency_key": idempotency_key, "claimed_at": _time(at)}
            if use is None:
                conn.execute(
                    self.uses.insert().values(
                        approval_id=approval_id, request_hash=request_hash, state=USE_EXECUTING, **claim
                    )
                )
            elif use["state"] == USE_DONE:
                raise ApprovalUnavailable(f"approval {approval_id!r} was already used at {use['finished_at']}")
            elif idempotency_key and use["idempotency_key"] == idempotency_key:
                conn.execute(update(self.uses).where(key).values(**claim))
            else:
                since = _parse(use["claimed_at"])
                assert since is not None
                raise ApprovalInUse(
                    f"approval {approval_id!r} is held by call {use['call_ref']} since {use['claimed_at']}, whose "
                    "outcome is not known (still running, or its server stopped)",
                    call_ref=use["call_ref"],
                    since=since,
                )
        return self._record(row)

    def finish(self, approval_id: str, request_hash: str, *, call_ref: str, at: datetime) -> ApprovalRecord:
        """The claimed call succeeded: the approval is used up (idempotent, whichever claimant finishes first)."""
        with writing(self.engine) as conn:
            row = self._row(conn, approval_id, request_hash, lock=True)
            if row is None:
                raise ApprovalNotFound(f"no approval {approval_id!r} for request {request_hash[:12]}… was asked")
            if row["used_at"] is None:
                conn.execute(update(self.table).where(self._key(approval_id, request_hash)).values(used_at=_time(at)))
            use_key = (self.uses.c.approval_id == approval_id) & (self.uses.c.request_hash == request_hash)
            done = {"state": USE_DONE, "finished_at": _time(at)}
            if self._use(conn, approval_id, request_hash) is None:
                conn.execute(
                    self.uses.insert().values(
                        approval_id=approval_id,
                        request_hash=request_hash,
                        call_ref=call_ref,
                        claimed_at=_time(at),
                        **done,
                    )
                )
            else:
                conn.execute(update(self.uses).where(use_key & (self.uses.c.state == USE_EXECUTING)).values(**done))
            row = self._row(conn, approval_id, request_hash)
        assert row is not None
        return self._record(row)

    def release(self, approval_id: str, request_hash: str, *, call_ref: str) -> bool:
        """The claimed call changed nothing (refused, failed before writing): the approval is usable again."""
        with writing(self.engine) as conn:
            gone = conn.execute(
                self.uses.delete().where(
                    self.uses.c.approval_id == approval_id,
                    self.uses.c.request_hash == request_hash,
                    self.uses.c.call_ref == call_ref,
                    self.uses.c.state == USE_EXECUTING,
                )
            )
        return bool(gone.rowcount)

    def settle_open(self, request_hash: str, subject: str, *, approver: str, note: str, at: datetime) -> list[str]:
        """Close the open tickets of (request, subject) that another approval already covered and that call ran:
        recorded approved by `approver` and used at `at`, so none can run the request again. Returns their ids."""
        where = (
            (self.table.c.request_hash == request_hash)
            & (self.table.c.subject == subject)
            & (self.table.c.state == ApprovalState.PENDING.value)
        )
        with writing(self.engine) as conn:
            ids = [r for (r,) in conn.execute(select(self.table.c.approval_id).where(where))]
            if ids:
                moment = _time(at)
                conn.execute(
                    update(self.table)
                    .where(where)
                    .values(
                        state=ApprovalState.APPROVED.value,
                        approver=approver,
                        note=note,
                        answered_at=moment,
                        used_at=moment,
                    )
                )
        return ids

    def pending(self, *, run_id: str | None = None, at: datetime | None = None) -> list[ApprovalRecord]:
        """Unanswered tickets, oldest first; with `at`, only those still within their deadline."""
        stmt = select(self.table).where(self.table.c.state == ApprovalState.PENDING.value)
        if run_id is not None:
            stmt = stmt.where(self.table.c.run_id == run_id)
        if at is not None:
            stmt = stmt.where(self.table.c.expires_at >= _time(at))
        with reading(self.engine) as conn:
            rows = conn.execute(stmt.order_by(self.table.c.requested_at)).mappings().all()
        return [self._record(r) for r in rows]

    def with_id(self, approval_id: str) -> list[ApprovalRecord]:
        """Every ticket asked under `approval_id` (one per request hash), oldest first."""
        stmt = select(self.table).where(self.table.c.approval_id == approval_id)
        with reading(self.engine) as conn:
            rows = conn.execute(stmt.order_by(self.table.c.requested_at)).mappings().all()
        return [self._record(r) for r in rows]

    def latest(self, *, limit: int = 200) -> list[ApprovalRecord]:
        """The newest tickets in any state, newest first (what an inbox lists: pending, answered, expired)."""
        stmt = select(self.table).order_by(self.table.c.requested_at.desc()).limit(limit)
        with reading(self.engine) as conn:
            rows = conn.execute(stmt).mappings().all()
        return [self._record(r) for r in rows]

    def pending_for(self, request_hash: str, *, at: datetime) -> ApprovalRecord | None:
        """The open ticket for exactly this request, if one is still within its deadline (so asking twice reuses it)."""
        stmt = select(self.table).where(
            self.table.c.request_hash == request_hash,
            self.table.c.state == ApprovalState.PENDING.value,
            self.table.c.expires_at >= _time(at),
        )
        with reading(self.engine) as conn:
            row = conn.execute(stmt.order_by(self.table.c.requested_at.desc())).mappings().first()
        return None if row is None else self._record(row)

    def _usable(self, conn: Connection, approval_id: str, request_hash: str, at: datetime) -> RowMapping:
        """The approval row, locked: approved, not used, within its deadline."""
        row = self._row(conn, approval_id, request_hash, lock=True)
        if row is None:
            raise ApprovalNotFound(f"no approval {approval_id!r} for request {request_hash[:12]}… was asked")
        if row["state"] != ApprovalState.APPROVED.value:
            raise ApprovalUnavailable(f"approval {approval_id!r} is {row['state']}, not approved")
        if row["used_at"] is not None:
            raise ApprovalUnavailable(f"approval {approval_id!r} was already used at {row['used_at']}")
        if _time(at) > row["expires_at"]:
            raise ApprovalUnavailable(f"approval {approval_id!r} expired at {row['expires_at']}")
        return row

    def _use(self, conn: Connection, approval_id: str, request_hash: str) -> RowMapping | None:
        stmt = select(self.uses).where(self.uses.c.approval_id == approval_id, self.uses.c.request_hash == request_hash)
        return conn.execute(stmt).mappings().first()

    def _key(self, approval_id: str, request_hash: str) -> Any:
        return (self.table.c.approval_id == approval_id) & (self.table.c.request_hash == request_hash)

    def _row(self, conn: Connection, approval_id: str, request_hash: str, *, lock: bool = False) -> RowMapping | None:
        stmt = select(self.table).where(self._key(approval_id, request_hash))
        if lock and conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return conn.execute(stmt).mappings().first()

    @staticmethod
    def _record(row: RowMapping) -> ApprovalRecord:
        return ApprovalRecord(
            approval_id=row["approval_id"],
            request_hash=row["request_hash"],
            tool=row["tool"],
            run_id=row["run_id"],
            subject=row["subject"],
            request=json.loads(row["request"]),
            requested_at=_parse(row["requested_at"]),  # type: ignore[arg-type]
            expires_at=_parse(row["expires_at"]),  # type: ignore[arg-type]
            state=ApprovalState(row["state"]),
            approver=row["approver"],
            note=row["note"],
            answered_at=_parse(row["answered_at"]),
            used_at=_parse(row["used_at"]),
        )
