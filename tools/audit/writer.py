"""The append path: seal records (hashes, chain, MAC) and store them in one transaction; sign checkpoints.

A writer keeps one pooled DBAPI connection for its appends: SQLAlchemy's per-transaction machinery costs more
than sealing and inserting a record, so the statements are compiled from Core once and run on the driver's
cursor. It chains from the newest record only when that record's MAC checks (or this writer wrote it), so rows
forged by someone without the key are never vouched for by a later signature.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, select

from cadencia.tools.audit.errors import AuditError, AuditIntegrityError
from cadencia.tools.audit.frontiers import FrontierSource
from cadencia.tools.audit.macs import RecordMac
from cadencia.tools.audit.merkle import Frontier
from cadencia.tools.audit.records import AuditKind, AuditRecord, JsonObject, quote, trusted_record
from cadencia.tools.audit.schema import HEAD_ID, AuditTables
from cadencia.tools.audit.signing import CheckpointVerifier, SignedCheckpoint, sign_checkpoint
from cadencia.tools.audit.statements import Statement, insert_into

INSERT_COLUMNS = (
    "seq",
    "recorded_at",
    "run_id",
    "actor",
    "kind",
    "payload",
    "leaf_hash",
    "prev_hash",
    "chain_hash",
    "mac",
)
CHECKPOINT_COLUMNS = ("tree_size", "root_hash", "issued_at", "key_id", "signature", "chain_hash", "frontier")

Now = Callable[[], str]
CheckpointHook = Callable[[SignedCheckpoint], None]


class Pending(NamedTuple):
    """One record ready to seal: validated, redacted, its payload encoded once, its entry text known but for the
    position (`head` and `tail` as in `EntryParts`)."""

    run_id: str
    actor: str
    kind: AuditKind
    payload_json: str
    payload: JsonObject
    head: str
    tail: str


T = TypeVar("T")


class Head(NamedTuple):
    """The newest record a writer trusts: its seq and raw chain digest (b"" for an empty log)."""

    seq: int
    chain: bytes


EMPTY = Head(0, b"")


class Appended(NamedTuple):
    """What one append transaction wrote: its rows, their leaf digests, the new head and any checkpoint signed."""

    rows: list[tuple[Any, ...]]
    leaves: list[bytes]
    head: Head
    signed: tuple[SignedCheckpoint, Frontier] | None


class RecordWriter:
    """Appends to one log from one process; thread-safe, and safe next to other writers of the same database."""

    def __init__(
        self,
        engine: Engine,
        tables: AuditTables,
        key: Ed25519PrivateKey,
        *,
        now: Now,
        checkpoint_every: int | None,
        on_checkpoint: CheckpointHook | None,
    ) -> None:
        self.engine = engine
        self.key = key
        self.now = now
        self.checkpoint_every = checkpoint_every
        self.on_checkpoint = on_checkpoint
        self.macs = RecordMac.for_key(key)
        self.verifier = CheckpointVerifier(key.public_key())
        self._sqlite = engine.dialect.name == "sqlite"
        self._dbapi: Any = engine.dialect.loaded_dbapi
        self._lock = threading.Lock()
        self._connection: Any = None
        self._cursor: Any = None
        records, checkpoints = tables.records, tables.checkpoints
        dialect = engine.dialect
        self._insert = Statement(insert_into(records, INSERT_COLUMNS), dialect)
        self._insert_positional = self._insert.takes(INSERT_COLUMNS)
        self._insert_checkpoint = Statement(insert_into(checkpoints, CHECKPOINT_COLUMNS), dialect)
        head = tables.head
        self._lock_head = Statement(select(head.c.id).where(head.c.id == HEAD_ID).with_for_update(), dialect)
        newest = select(records.c.seq, records.c.prev_hash, records.c.leaf_hash, records.c.chain_hash, records.c.mac)
        self._newest = Statement(newest.order_by(records.c.seq.desc()).limit(1), dialect)
        self._last_checkpoint = Statement(select(func.max(checkpoints.c.tree_size)), dialect)
        self._frontiers = FrontierSource(tables, dialect, self.verifier, self.macs)
        self._head: Head | None = None
        self._wrote_up_to = 0
        self._frontier: Frontier | None = None
        self._pending_leaves: list[bytes] = []
        self._checkpointed: int | None = None

    # -- connection and transaction -----------------------------------------------------------------------------

    def _transaction(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(cursor, *args)` in one write transaction holding the log's write lock (BEGIN IMMEDIATE on SQLite,
        the head row on PostgreSQL); rolled back on any error. A plain call, not a context manager: the hot path.
        """
        if self._connection is None:
            self._connection = self.engine.raw_connection()
            self._cursor = self._connection.cursor()
        conn, cursor = self._connection, self._cursor
        try:
            if self._sqlite:
                cursor.execute("BEGIN IMMEDIATE")
                result = work(cursor, *args)
                cursor.execute("COMMIT")
            else:
                cursor.execute(self._lock_head.sql, self._lock_head.params())
                result = work(cursor, *args)
                conn.commit()
        except BaseException as exc:
            self._abort(conn, exc)
            raise
        return result

    def _abort(self, conn: Any, exc: BaseException) -> None:
        try:
            if self._sqlite:
                if conn.driver_connection.in_transaction:
                    conn.driver_connection.execute("ROLLBACK")
            else:
                conn.rollback()
        except self._dbapi.Error:
            pass
        if isinstance(exc, self._dbapi.OperationalError | self._dbapi.InterfaceError):
            self._connection = self._cursor = None
            conn.invalidate()
        self._head = None

    def close(self) -> None:
        """Return the connection to the pool."""
        with self._lock:
            if self._connection is not None:
                self._cursor.close()
                self._connection.close()
                self._connection = self._cursor = None

    # -- the head -----------------------------------------------------------------------------------------------

    def _read_head(self, cursor: Any) -> Head:
        """The newest stored record, trusted only if its MAC checks."""
        cursor.execute(self._newest.sql, self._newest.params())
        row = cursor.fetchone()
        if row is None:
            head = EMPTY
        else:
            seq, prev, leaf, chain, mac = row
            try:
                digests = bytes.fromhex(prev), bytes.fromhex(leaf), bytes.fromhex(chain)
            except (TypeError, ValueError):
                digests = None
            if digests is None or not self.macs.matches(mac, seq, *digests):
                raise AuditIntegrityError(
                    f"the newest record ({seq}) was not written with this log's key (its MAC does not check): "
                    "refusing to chain from it; run `cadencia audit verify`"
                )
            head = Head(seq, digests[2])
        if head.seq < self._wrote_up_to:
            raise AuditIntegrityError(
                f"records {head.seq + 1}..{self._wrote_up_to}, written by this process, are gone from the log; "
                "run `cadencia audit verify`"
            )
        if self._head is None or head != self._head:
            self._frontier, self._pending_leaves = None, []
        return head

    def _seal(self, head: Head, pending: Sequence[Pending]) -> tuple[list[tuple[Any, ...]], list[bytes], Head]:
        """Rows (in INSERT_COLUMNS order) and leaf digests of `pending` chained after `head`.

        The records of one transaction share its time. The entry text is `EntryParts.text`, with the two values
        this writer produced itself (a hex link, an ISO time) written out unescaped, which they never need.
        """
        sha256, mac = hashlib.sha256, self.macs.hex
        seq, prev = head
        prev_hex = prev.hex()
        recorded_at = self.now()
        time_field = f',"recorded_at":{quote(recorded_at)}'
        rows: list[tuple[Any, ...]] = []
        leaves: list[bytes] = []
        for run_id, actor, kind, payload_json, _, entry_head, entry_tail in pending:
            seq += 1
            entry = f'{entry_head},"prev_hash":"{prev_hex}"{time_field}{entry_tail}{seq}}}'.encode()
            leaf = sha256(b"\x00" + entry).digest()
            chain = sha256(entry).digest()
            chain_hex = chain.hex()
            mac_hex = mac(seq, prev, leaf, chain)
            row = (seq, recorded_at, run_id, actor, kind.value, payload_json, leaf.hex(), prev_hex, chain_hex, mac_hex)
            rows.append(row)
            leaves.append(leaf)
            prev, prev_hex = chain, chain_hex
        return rows, leaves, Head(seq, prev)

    # -- appending ------------------------------------------------------------------------------------------------

    def append(self, pending: Sequence[Pending]) -> list[AuditRecord]:
        """Seal and store `pending` in one transaction (contiguous seqs); checkpoint when one is due."""
        with self._lock:
            rows = self._append_locked(pending)
        return [
            trusted_record(
                seq=row[0],
                recorded_at=row[1],
                run_id=item.run_id,
                actor=item.actor,
                kind=item.kind,
                payload=item.payload,
                leaf_hash=row[6],
                prev_hash=row[7],
                chain_hash=row[8],
            )
            for row, item in zip(rows, pending, strict=True)
        ]

    def _append_locked(self, pending: Sequence[Pending]) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            cached = self._head if attempt == 1 else None
            try:
                done = self._transaction(self._write, cached, pending)
            except self._dbapi.IntegrityError as exc:
                if cached is not None:
                    continue  # another writer appended since this one last did: read the head and seal again
                raise AuditIntegrityError("the next seq is taken; run `cadencia audit verify`") from exc
            except self._dbapi.Error as exc:
                raise AuditError(f"the audit log could not be written: {exc}") from exc
            self._advance(done.head, done.leaves, done.signed)
            return done.rows
        raise AssertionError("unreachable: the second attempt reads the head under the write lock")

    def _write(self, cursor: Any, cached: Head | None, pending: Sequence[Pending]) -> Appended:
        head = cached if cached is not None else self._read_head(cursor)
        rows, leaves, new_head = self._seal(head, pending)
        if len(rows) == 1 and self._insert_positional:
            cursor.execute(self._insert.sql, rows[0])
        else:
            cursor.executemany(self._insert.sql, self._insert.many(INSERT_COLUMNS, rows))
        return Appended(rows, leaves, new_head, self._checkpoint_if_due(cursor, head, new_head, leaves))

    def _in_sync(self, head: Head) -> bool:
        """True when the in-memory frontier and tail cover exactly the records up to `head`."""
        covered = self._frontier
        return covered is not None and self._head == head and covered.size + len(self._pending_leaves) == head.seq

    def _frontier_at(self, cursor: Any, head: Head) -> Frontier:
        """A frontier over every record up to the trusted `head` (rebuilt from the last checkpoint if needed)."""
        if self._in_sync(head) and self._frontier is not None:
            frontier = self._frontier.copy()
            frontier.extend(self._pending_leaves)
            return frontier
        frontier = self._frontiers.rebuild(cursor, head.seq, head.chain)
        self._frontier, self._pending_leaves = frontier.copy(), []
        return frontier

    def _checkpoint_if_due(
        self, cursor: Any, head: Head, new_head: Head, leaves: list[bytes]
    ) -> tuple[SignedCheckpoint, Frontier] | None:
        if self.checkpoint_every is None:
            return None
        if self._checkpointed is None or self._head != head:
            cursor.execute(self._last_checkpoint.sql, self._last_checkpoint.params())
            self._checkpointed = cursor.fetchone()[0] or 0
        if new_head.seq - self._checkpointed < self.checkpoint_every:
            return None
        frontier = self._frontier_at(cursor, head)
        frontier.extend(leaves)
        return self._sign(cursor, new_head, frontier), frontier

    def _sign(self, cursor: Any, head: Head, frontier: Frontier) -> SignedCheckpoint:
        signed = sign_checkpoint(
            self.key,
            tree_size=head.seq,
            root_hash=frontier.root().hex(),
            chain_hash=head.chain.hex(),
            issued_at=self.now(),
        )
        values = signed.model_dump(include=set(CHECKPOINT_COLUMNS))
        params = self._insert_checkpoint.params(**values, frontier=frontier.to_hex())
        cursor.execute(self._insert_checkpoint.sql, params)
        return signed

    def _advance(self, head: Head, leaves: list[bytes], signed: tuple[SignedCheckpoint, Frontier] | None) -> None:
        """After a commit: remember the new head and frontier, then hand any new checkpoint to the export hook."""
        in_sync = self._frontier is not None and self._frontier.size + len(self._pending_leaves) == head.seq - len(
            leaves
        )
        self._head, self._wrote_up_to = head, max(self._wrote_up_to, head.seq)
        if signed is not None:
            checkpoint, frontier = signed
            self._frontier, self._pending_leaves, self._checkpointed = frontier, [], head.seq
            if self.on_checkpoint is not None:
                self.on_checkpoint(checkpoint)
        elif in_sync:
            self._pending_leaves.extend(leaves)
        else:
            self._frontier, self._pending_leaves = None, []

    # -- checkpoints ------------------------------------------------------------------------------------------------

    def checkpoint(self) -> SignedCheckpoint:
        """Sign the head now (the run-end hook), after checking the MACs of every record since the last checkpoint."""

        def work(cursor: Any) -> tuple[Head, Frontier, SignedCheckpoint]:
            head = self._read_head(cursor)
            frontier = self._frontier_at(cursor, head)
            return head, frontier, self._sign(cursor, head, frontier)

        with self._lock:
            try:
                head, frontier, signed = self._transaction(work)
            except self._dbapi.Error as exc:
                raise AuditError(f"the audit log could not be written: {exc}") from exc
            self._head = head
            self._frontier, self._pending_leaves, self._checkpointed = frontier, [], head.seq
            if self.on_checkpoint is not None:
                self.on_checkpoint(signed)
        return signed

    def has_unsigned_tail(self) -> bool:
        """True when this writer appended records that no checkpoint covers yet."""
        return self._head is not None and self._head.seq > (self._checkpointed or 0)
