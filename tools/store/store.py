"""The sandbox store: engine set-up, one transaction per call, idempotency, undo tokens, state hash."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, insert, inspect, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool

from cadencia.tools.errors import Conflict, InvalidArgument, NotFound
from cadencia.tools.store import schema
from cadencia.tools.store.canonical import canonical_json, sha256_hex
from cadencia.tools.store.engine import WRITE, normalize_url, open_engine
from cadencia.tools.store.journal import calls, idempotency, undo_log, world
from cadencia.tools.store.metadata import is_bookkeeping, metadata
from cadencia.tools.store.mutation import Mutation, RowChange, fetch_row, insert_unless_present, restore
from cadencia.tools.store.offload import DEFAULT_TOKENS, Offload
from cadencia.tools.store.principal import CALL_PRINCIPAL, CALL_REPLAY
from cadencia.tools.store.retry import MAX_ATTEMPTS, backoff_s, is_lock_timeout, is_transient

R = TypeVar("R", bound=BaseModel)

DEFAULT_START_DAY = date(2026, 3, 2)


@dataclass(frozen=True)
class _Call:
    """What identifies one mutating call, for its record, its idempotency key and its undo token."""

    capability: str
    tool: str
    args: dict[str, Any]
    idempotency_key: str | None
    reversible: bool
    principal: str | None


def args_hash(args: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(args))


class Store:
    """One database holding every capability's state, plus the bookkeeping that makes calls safe to retry and undo."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        shared = isinstance(engine.pool, StaticPool)  # in-memory SQLite: one connection for every caller
        self.offload = Offload(1 if shared else DEFAULT_TOKENS)
        """Where async callers run this store's blocking calls (`await store.offload.run(fn)`)."""

    @classmethod
    def open(cls, url_or_path: str | Path, *, create: bool = True) -> Store:
        store = cls(open_engine(url_or_path))
        if create:
            schema.create_all(store.engine)
        return store

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def is_seeded(self) -> bool:
        if not inspect(self.engine).has_table(world.name):
            return False
        return self.get_world("brand") is not None

    # -- transactions -------------------------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            yield conn

    def read(self, fn: Callable[[Connection], R]) -> R:
        with self.reading() as conn:
            return fn(conn)

    def get_world(self, key: str, conn: Connection | None = None) -> str | None:
        if conn is None:
            with self.reading() as own:
                return self.get_world(key, own)
        return conn.execute(select(world.c.value).where(world.c.key == key)).scalar()

    def set_world(self, conn: Connection, key: str, value: str) -> None:
        if conn.execute(update(world).where(world.c.key == key).values(value=value)).rowcount == 0:
            conn.execute(insert(world).values(key=key, value=value))

    def today(self, conn: Connection | None = None) -> date:
        """The store's current (possibly simulated) date."""
        value = self.get_world("today", conn)
        return date.fromisoformat(value) if value else DEFAULT_START_DAY

    def write(
        self,
        *,
        capability: str,
        tool: str,
        args: dict[str, Any],
        idempotency_key: str | None,
        apply: Callable[[Mutation], R],
        result_type: type[R],
        reversible: bool = False,
        principal: str | None = None,
    ) -> R:
        """Run one mutating call in one transaction: replay on a known idempotency key, journal undo, record the call.

        Any exception rolls the whole call back, so a refused call writes nothing. When a concurrent transaction
        got there first (deadlock, insert race), the whole call runs again from scratch, a bounded number of times:
        `apply` must act only through the transaction it is given (no HTTP, no files).
        """
        call = _Call(capability, tool, args, idempotency_key, reversible, principal or CALL_PRINCIPAL.get())
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return self._write_once(call, apply, result_type)
            except DBAPIError as exc:
                if is_lock_timeout(exc):
                    raise Conflict(
                        f"{tool} waited too long for data another call is changing; nothing was changed, call it again",
                        rule="contention",
                    ) from exc
                if not is_transient(exc):
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise Conflict(
                        f"{tool} kept colliding with concurrent changes to the same data ({MAX_ATTEMPTS} attempts); "
                        "nothing was changed, call it again",
                        rule="contention",
                    ) from exc
                time.sleep(backoff_s(attempt))
        raise AssertionError("unreachable")

    def _write_once(self, call: _Call, apply: Callable[[Mutation], R], result_type: type[R]) -> R:
        digest = args_hash(call.args)
        with self.writing() as conn:
            if call.idempotency_key:
                prior = self._claim_key(conn, call, digest)
                if prior is not None:
                    self._note_replay(conn, call)
                    return result_type.model_validate_json(prior)
            mutation = Mutation(conn, self.today(conn))
            result = apply(mutation)
            token = None
            if call.reversible:
                if mutation.bulk_tables:
                    raise RuntimeError(f"{call.tool} is reversible but made set-based writes that undo cannot restore")
                token = self._issue_undo_token(conn, call.capability, call.tool, mutation.changes)
                result = result.model_copy(update={"undo_token": token})
            result_json = result.model_dump_json()
            conn.execute(
                insert(calls).values(
                    capability=call.capability,
                    tool=call.tool,
                    day=mutation.today.isoformat(),
                    recorded_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
                    args=canonical_json(call.args),
                    result=result_json,
                    idempotency_key=call.idempotency_key,
                    undo_token=token,
                    principal=call.principal,
                    touched=canonical_json(mutation.touched),
                )
            )
            if call.idempotency_key:
                conn.execute(
                    update(idempotency)
                    .where(idempotency.c.capability == call.capability, idempotency.c.key == call.idempotency_key)
                    .values(result=result_json)
                )
            return result

    @staticmethod
    def _note_replay(conn: Connection, call: _Call) -> None:
        """Tell the caller's safety layer (if it listens) that this call was answered from its key's record."""
        replay = CALL_REPLAY.get()
        if replay is None:
            return
        original = conn.execute(
            select(calls.c.principal)
            .where(calls.c.capability == call.capability, calls.c.idempotency_key == call.idempotency_key)
            .order_by(calls.c.seq)
            .limit(1)
        ).scalar()
        replay.replayed, replay.original = True, original

    @staticmethod
    def _claim_key(conn: Connection, call: _Call, digest: str) -> str | None:
        """Claim the idempotency key for this call, or return the stored result of the call that holds it.

        The claim is an insert that does nothing on a duplicate key; on PostgreSQL it waits while another
        transaction holds the same key uncommitted, so a copy of an in-flight call replays its result once it commits
        (or runs, if that one rolled back) instead of failing on the primary key.
        """
        claim = {"capability": call.capability, "key": call.idempotency_key, "tool": call.tool, "args_hash": digest}
        if insert_unless_present(conn, idempotency, claim | {"result": ""}):
            return None
        prior = (
            conn.execute(
                select(idempotency).where(
                    idempotency.c.capability == call.capability, idempotency.c.key == call.idempotency_key
                )
            )
            .mappings()
            .one()
        )
        if prior["tool"] != call.tool or prior["args_hash"] != digest:
            raise Conflict(
                f"idempotency_key {call.idempotency_key!r} was already used for a different call "
                f"({prior['tool']}); use a fresh key for a new action",
                field="idempotency_key",
            )
        return str(prior["result"])

    # -- undo ---------------------------------------------------------------------------------------------------

    def _issue_undo_token(self, conn: Connection, capability: str, tool: str, changes: list[RowChange]) -> str:
        payload = canonical_json([c.model_dump() for c in changes])
        counter = Mutation(conn, DEFAULT_START_DAY).next_id(f"undo_{capability}")
        token = f"{counter}-{sha256_hex(payload)[:10]}"
        conn.execute(
            insert(undo_log).values(
                token=token,
                capability=capability,
                tool=tool,
                changes=payload,
                used=False,
                created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            )
        )
        return token

    def undo(self, conn: Connection, *, capability: str, token: str) -> tuple[str, list[RowChange]]:
        """Restore the rows a reversible call changed; refuse if any changed since. Returns (tool, changes)."""
        entry = conn.execute(select(undo_log).where(undo_log.c.token == token).with_for_update()).mappings().first()
        if entry is None:
            raise NotFound(f"No undo token {token!r}; tokens come from the result of a reversible tool", field="token")
        if entry["capability"] != capability:
            raise InvalidArgument(
                f"undo token {token!r} belongs to the {entry['capability']} server; call its undo tool",
                field="token",
            )
        if entry["used"]:
            raise Conflict(f"undo token {token!r} was already used", field="token")
        changes = [RowChange.model_validate(c) for c in json.loads(entry["changes"])]
        for change in changes:
            current = fetch_row(conn, metadata.tables[change.table], change.key, lock=True)
            if current != change.after:
                raise Conflict(
                    f"cannot undo {entry['tool']}: {change.table} {change.key} changed since (stale undo token); "
                    "read its current state and make a new change instead",
                    field="token",
                    rule="stale_undo",
                )
        try:
            for change in reversed(changes):
                restore(conn, change)
        except IntegrityError as exc:
            if is_transient(exc):
                raise
            raise Conflict(
                f"cannot undo {entry['tool']}: records created since refer to what it would remove or restore "
                "(e.g. creatives on a campaign, sends of a message); undo those first",
                field="token",
                rule="stale_undo",
            ) from exc
        conn.execute(update(undo_log).where(undo_log.c.token == token).values(used=True))
        return entry["tool"], changes

    # -- hashing ------------------------------------------------------------------------------------------------

    def state_hash(self) -> str:
        """SHA-256 over every world table's rows in primary-key order (journal tables excluded).

        Rows are hashed as JSON arrays in column order: the same values give the same bytes on SQLite and PostgreSQL.
        """
        digest = hashlib.sha256()
        for name, table_digest in self.table_hashes().items():
            digest.update(f"\x00{name}\x00{table_digest}".encode())
        return digest.hexdigest()

    def table_hashes(self) -> dict[str, str]:
        """One SHA-256 per world table, so a comparison can say which tables differ."""
        dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
        hashes: dict[str, str] = {}
        with self.reading() as conn:
            for table in sorted(metadata.sorted_tables, key=lambda t: t.name):
                if is_bookkeeping(table):
                    continue
                digest = hashlib.sha256()
                order = list(table.primary_key.columns)
                for row in conn.execution_options(yield_per=5000).execute(select(table).order_by(*order)):
                    digest.update(dumps(list(row)).encode())
                    digest.update(b"\n")
                hashes[table.name] = digest.hexdigest()
        return hashes


__all__ = ["DEFAULT_START_DAY", "Store", "args_hash", "normalize_url"]
