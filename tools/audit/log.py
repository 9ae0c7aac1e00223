"""The audit log: append-only, hash-chained, MAC'd records in SQLite or PostgreSQL, Merkle tree, signed checkpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import JsonValue
from sqlalchemy import Connection, Engine, func, select

from cadencia.tools.audit import merkle
from cadencia.tools.audit.errors import AuditError, AuditIntegrityError, LegacyLogError, RecordNotFound
from cadencia.tools.audit.exports import CheckpointExport
from cadencia.tools.audit.proofs import ConsistencyProof, InclusionProof, check_inclusion
from cadencia.tools.audit.records import (
    AuditEvent,
    AuditKind,
    AuditRecord,
    entry_closing,
    entry_opening,
    leaf_hex,
)
from cadencia.tools.audit.redact import encode_redacted
from cadencia.tools.audit.rows import RecordRow, StoredRecord, checkpoint_from_row, record_from_row
from cadencia.tools.audit.scan import KnownCheckpoint
from cadencia.tools.audit.schema import (
    AuditTables,
    audit_tables,
    checkpoint_rows,
    create_tables,
    missing_columns,
    open_engine,
    reading,
    record_columns,
)
from cadencia.tools.audit.signing import (
    CheckpointVerifier,
    SignedCheckpoint,
    load_key,
    load_or_create_key,
    load_public_key,
    write_checkpoints,
)
from cadencia.tools.audit.stored import verify_stored
from cadencia.tools.audit.verify import VerifyReport
from cadencia.tools.audit.writer import CheckpointHook, Pending, RecordWriter

Clock = Callable[[], datetime]
DEFAULT_CHECKPOINT_EVERY = 256
"""Records between automatic checkpoints: the most a public-key-only verifier sees unsigned at the tail."""
QUOTED_CACHE = 4096

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Tamper-evident audit log: every append is redacted, chained, hashed and MAC'd; checkpoints sign the head.

    Checkpoints (Ed25519 over the Merkle root and the chain link) are issued every `checkpoint_every` records,
    by `checkpoint()` (the end of a run) and on `close()`, and handed to `on_checkpoint` (e.g. a JSONL export).
    """

    def __init__(
        self,
        engine: Engine,
        tables: AuditTables,
        *,
        signing_key: Ed25519PrivateKey | None,
        clock: Clock = _utc_now,
        batch_size: int = 5000,
        checkpoint_every: int | None = DEFAULT_CHECKPOINT_EVERY,
        on_checkpoint: CheckpointHook | None = None,
        current: bool | None = None,
    ) -> None:
        if checkpoint_every is not None and checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be at least 1, or None for none: {checkpoint_every}")
        self.engine = engine
        self.tables = tables
        self.signing_key = signing_key
        self.clock = clock
        self.batch_size = batch_size
        self.checkpoint_every = checkpoint_every
        self.on_checkpoint = on_checkpoint
        if current is None:
            with reading(engine) as conn:
                current = not missing_columns(conn, tables)
        self.current = current
        self._writer: RecordWriter | None = None
        self._openings: dict[tuple[str, AuditKind], str] = {}
        self._closings: dict[str, str] = {}

    @classmethod
    def open(
        cls,
        url_or_path: str | Path,
        *,
        key_path: Path,
        create_key: bool = True,
        table_prefix: str = "audit",
        clock: Clock = _utc_now,
        checkpoint_every: int | None = DEFAULT_CHECKPOINT_EVERY,
        export_path: Path | None = None,
        on_checkpoint: CheckpointHook | None = None,
    ) -> AuditLog:
        """Open (creating tables if needed) the log at a file path or URL, with the signing key at `key_path`.

        `export_path` appends every new checkpoint to a JSON-lines file (keep it on other storage); `on_checkpoint`
        is called with each one instead, after its transaction commits (the records are stored by then, so a hook
        should not raise: the export hook logs a failed write and catches up with the next checkpoint).
        """
        if create_key:
            key: Ed25519PrivateKey | None = load_or_create_key(key_path)
        else:
            key = load_key(key_path) if key_path.exists() else None
        if export_path is not None and on_checkpoint is not None:
            raise ValueError("pass export_path or on_checkpoint, not both")
        engine = open_engine(url_or_path)
        tables = audit_tables(table_prefix)
        current = create_tables(engine, tables)
        hook = CheckpointExport(export_path) if export_path is not None else on_checkpoint
        return cls(
            engine,
            tables,
            signing_key=key,
            clock=clock,
            checkpoint_every=checkpoint_every,
            on_checkpoint=hook,
            current=current,
        )

    def close(self) -> None:
        """Sign what this process appended since the last checkpoint, then release the database connections."""
        writer = self._writer
        if writer is not None:
            if writer.has_unsigned_tail():
                try:
                    writer.checkpoint()
                except AuditError as exc:
                    logger.warning("audit log closed with unsigned records: %s", exc)
            writer.close()
            self._writer = None
        self.engine.dispose()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="microseconds")

    def _writable(self) -> RecordWriter:
        if not self.current:
            raise LegacyLogError(
                "this audit log was written by a Cadencia that did not sign its records; run `cadencia audit "
                "migrate` (it checks the log and signs it) before appending to it"
            )
        if self.signing_key is None:
            raise AuditError("this log was opened without its signing key: it can be read and verified, not written")
        writer = self._writer
        if writer is None or writer.key is not self.signing_key:
            if writer is not None:
                writer.close()
            writer = RecordWriter(
                self.engine,
                self.tables,
                self.signing_key,
                now=self._now,
                checkpoint_every=self.checkpoint_every,
                on_checkpoint=self.on_checkpoint,
            )
            self._writer = writer
        return writer

    # -- writing ----------------------------------------------------------------------------------------------

    def _prepare(self, run_id: str, actor: str, kind: AuditKind | str, payload: Mapping[str, JsonValue]) -> Pending:
        """Check, redact and encode one record's content (outside any transaction)."""
        if not isinstance(run_id, str) or not isinstance(actor, str):
            raise ValueError("an audit record needs run_id and actor as strings")
        kind = kind if type(kind) is AuditKind else AuditKind(kind)
        try:
            payload_json, stored = encode_redacted(payload)
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"an audit payload must be a JSON object: {exc}") from exc
        opening, closing = self._quoted(actor, kind, run_id)
        return Pending(run_id, actor, kind, payload_json, stored, opening + payload_json, closing)

    def _quoted(self, actor: str, kind: AuditKind, run_id: str) -> tuple[str, str]:
        """`entry_opening` and `entry_closing`, remembered: actor, kind and run_id repeat from record to record."""
        openings, closings = self._openings, self._closings
        if len(openings) > QUOTED_CACHE or len(closings) > QUOTED_CACHE:
            openings.clear()
            closings.clear()
        opening = openings.get((actor, kind))
        if opening is None:
            opening = openings[(actor, kind)] = entry_opening(actor, kind.value)
        closing = closings.get(run_id)
        if closing is None:
            closing = closings[run_id] = entry_closing(run_id)
        return opening, closing

    def _append(self, pending: list[Pending]) -> list[AuditRecord]:
        if not pending:
            return []
        writer = self._writable()
        try:
            return writer.append(pending)
        except UnicodeEncodeError as exc:
            raise ValueError(f"an audit record holds text that is not valid Unicode: {exc}") from exc

    def append(
        self, *, run_id: str, actor: str, kind: AuditKind | str, payload: Mapping[str, JsonValue] | None = None
    ) -> AuditRecord:
        """Redact, seal and store one record; returns it with its seq and hashes."""
        return self._append([self._prepare(run_id, actor, kind, payload or {})])[0]

    def append_many(self, events: Iterable[AuditEvent]) -> list[AuditRecord]:
        """Append several records in one transaction (contiguous seqs, one lock); payloads are redacted first."""
        return self._append([self._prepare(e.run_id, e.actor, e.kind, e.payload) for e in events])

    # -- reading ----------------------------------------------------------------------------------------------

    def _rows(self, *, run_id: str | None, since_seq: int | None) -> Iterator[RecordRow]:
        table = self.tables.records
        with reading(self.engine) as conn:
            last = since_seq
            while True:
                query = record_columns(self.tables).order_by(table.c.seq).limit(self.batch_size)
                if last is not None:
                    query = query.where(table.c.seq > last)
                if run_id is not None:
                    query = query.where(table.c.run_id == run_id)
                batch = conn.execute(query).all()
                yield from batch
                if len(batch) < self.batch_size:
                    return
                last = batch[-1].seq

    def iter_records(self, *, run_id: str | None = None, since_seq: int | None = None) -> Iterator[AuditRecord]:
        """Records in seq order (those after `since_seq` when given), read in batches from one snapshot."""
        for row in self._rows(run_id=run_id, since_seq=since_seq):
            yield record_from_row(row._mapping)

    def records(self, *, run_id: str | None = None, since_seq: int | None = None) -> list[AuditRecord]:
        """All records of one run, or of the log, with seq > `since_seq` when given."""
        return list(self.iter_records(run_id=run_id, since_seq=since_seq))

    def size(self) -> int:
        """Number of records: the size of the Merkle tree."""
        with reading(self.engine) as conn:
            return int(conn.execute(select(func.count()).select_from(self.tables.records)).scalar_one())

    def _stored_leaves(self, conn: Connection) -> list[bytes]:
        """Stored leaf hashes in seq order; refuses a log whose seqs are not 1..n."""
        table = self.tables.records
        rows = conn.execute(select(table.c.seq, table.c.leaf_hash).order_by(table.c.seq)).all()
        if rows and (rows[0].seq != 1 or rows[-1].seq != len(rows)):
            raise AuditIntegrityError("the log's seqs are not contiguous from 1; run `cadencia audit verify`")
        try:
            return [bytes.fromhex(row.leaf_hash) for row in rows]
        except ValueError as exc:
            raise AuditIntegrityError("a stored leaf hash is not hex; run `cadencia audit verify`") from exc

    def root(self) -> str:
        """Merkle tree head (hex) over the stored leaf hashes."""
        with reading(self.engine) as conn:
            return merkle.tree_root(self._stored_leaves(conn)).hex()

    # -- checkpoints ------------------------------------------------------------------------------------------

    def _known_checkpoints(self, conn: Connection) -> list[KnownCheckpoint]:
        rows = conn.execute(checkpoint_rows(self.tables, current=self.current)).mappings().all()
        return [KnownCheckpoint(checkpoint_from_row(row, lenient=True), row.get("frontier")) for row in rows]

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Stored checkpoints, oldest first."""
        with reading(self.engine) as conn:
            rows = conn.execute(checkpoint_rows(self.tables, current=self.current)).mappings().all()
        return [checkpoint_from_row(row, lenient=False) for row in rows]

    def verifier(self, public_key: Ed25519PublicKey | str | None = None) -> CheckpointVerifier:
        """A checkpoint verifier for `public_key` (PEM/hex accepted), or for this log's own key."""
        if isinstance(public_key, str):
            public_key = load_public_key(public_key)
        if public_key is None:
            if self.signing_key is None:
                raise AuditError("this log has no signing key; pass the public key to verify checkpoints")
            public_key = self.signing_key.public_key()
        return CheckpointVerifier(public_key)

    def checkpoint(self) -> SignedCheckpoint:
        """Sign and store the current head (call it at the end of a run); refuses records it cannot vouch for."""
        return self._writable().checkpoint()

    def export_checkpoints(self, path: Path) -> int:
        """Write every stored checkpoint to `path` as JSON lines (to keep outside the log); returns the count."""
        checkpoints = self.checkpoints()
        write_checkpoints(path, checkpoints)
        return len(checkpoints)

    # -- proofs -----------------------------------------------------------------------------------------------

    def prove(self, seq: int, *, tree_size: int | None = None) -> InclusionProof:
        """Inclusion proof of record `seq` in the tree of `tree_size` records (default: the whole log)."""
        with reading(self.engine) as conn:
            leaves = self._stored_leaves(conn)
        size = len(leaves) if tree_size is None else tree_size
        if not 1 <= seq <= size <= len(leaves):
            raise RecordNotFound(f"no record {seq} in a tree of size {size}; the log holds {len(leaves)} records")
        return InclusionProof(
            seq=seq,
            tree_size=size,
            leaf_hash=leaves[seq - 1].hex(),
            path=[h.hex() for h in merkle.inclusion_proof(leaves, seq - 1, size)],
            root=merkle.tree_root(leaves[:size]).hex(),
        )

    def verify_inclusion(self, proof: InclusionProof, *, checkpoint: SignedCheckpoint | None = None) -> bool:
        """True when the proof holds, the stored record still hashes to its leaf, and the root matches the log.

        With `checkpoint`, the root must also be the one that checkpoint signed (with this log's key).
        """
        if not check_inclusion(proof):
            return False
        table = self.tables.records
        with reading(self.engine) as conn:
            row = conn.execute(record_columns(self.tables).where(table.c.seq == proof.seq)).first()
            leaves = self._stored_leaves(conn)
        if row is None or leaf_hex(StoredRecord.of(row).entry()) != proof.leaf_hash:
            return False
        if proof.tree_size > len(leaves) or merkle.tree_root(leaves[: proof.tree_size]).hex() != proof.root:
            return False
        if checkpoint is None:
            return True
        signed = checkpoint.tree_size == proof.tree_size and checkpoint.root_hash == proof.root
        return signed and self.verifier().is_valid(checkpoint)

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Proof that the tree of `old_size` records is a prefix of the tree of `new_size` (default: all)."""
        with reading(self.engine) as conn:
            leaves = self._stored_leaves(conn)
        new = len(leaves) if new_size is None else new_size
        if not 0 <= old_size <= new <= len(leaves):
            raise RecordNotFound(f"sizes {old_size}..{new} are outside the log's {len(leaves)} records")
        roots = merkle.tree_roots(leaves, {old_size, new})
        return ConsistencyProof(
            old_size=old_size,
            new_size=new,
            old_root=roots[old_size].hex(),
            new_root=roots[new].hex(),
            path=[h.hex() for h in merkle.consistency_proof(leaves, old_size, new)],
        )

    # -- verification -----------------------------------------------------------------------------------------

    def verify(
        self,
        *,
        external_checkpoints: list[SignedCheckpoint] | None = None,
        public_key: Ed25519PublicKey | str | None = None,
        full: bool = False,
    ) -> VerifyReport:
        """Check every record's hashes, the chain, and the newest checkpoint signed with the trusted key (this log's
        own, or `public_key`); records after it need valid MACs, which only the private key can check.

        When anything is off (or with `full`), a second, diagnosing pass checks every checkpoint and names the
        first record that differs.
        """
        verifier = self.verifier(public_key)
        with reading(self.engine) as conn:
            known = {k.checkpoint.signature: k for k in (KnownCheckpoint(cp) for cp in external_checkpoints or [])}
            known.update({k.checkpoint.signature: k for k in self._known_checkpoints(conn)})
            return verify_stored(
                conn,
                self.tables,
                list(known.values()),
                verifier,
                key=self.signing_key,
                current=self.current,
                batch=self.batch_size,
                full=full,
            )
