"""The audit log: append-only, hash-chained, Merkle-tree records in SQLite or PostgreSQL, with signed checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import JsonValue
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from cadencia.tools.audit import merkle
from cadencia.tools.audit.errors import AuditError, AuditIntegrityError, RecordNotFound
from cadencia.tools.audit.proofs import ConsistencyProof, InclusionProof, check_inclusion
from cadencia.tools.audit.records import AuditEvent, AuditKind, AuditRecord, leaf_hex, seal
from cadencia.tools.audit.redact import redact
from cadencia.tools.audit.rows import RecordRow, StoredRecord, checkpoint_from_row, record_from_row, record_to_row
from cadencia.tools.audit.schema import (
    HEAD_ID,
    AuditTables,
    audit_tables,
    create_tables,
    open_engine,
    reading,
    writing,
)
from cadencia.tools.audit.signing import (
    CheckpointVerifier,
    SignedCheckpoint,
    load_key,
    load_or_create_key,
    load_public_key,
    sign_checkpoint,
    write_checkpoints,
)
from cadencia.tools.audit.verify import VerifyReport, verify_log

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Tamper-evident audit log: every append is redacted, chained and hashed; checkpoints sign the tree head."""

    def __init__(
        self,
        engine: Engine,
        tables: AuditTables,
        *,
        signing_key: Ed25519PrivateKey | None,
        clock: Clock = _utc_now,
        batch_size: int = 5000,
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.signing_key = signing_key
        self.clock = clock
        self.batch_size = batch_size
        head = tables.head
        # Built once: the append path is hot and statement construction costs more than the hashing.
        self._lock_head = select(head.c.seq, head.c.chain_hash).where(head.c.id == HEAD_ID).with_for_update()
        self._insert = insert(tables.records)
        self._advance_head = (
            update(head)
            .where(head.c.id == HEAD_ID)
            .values(seq=bindparam("head_seq"), chain_hash=bindparam("head_hash"))
        )

    @classmethod
    def open(
        cls,
        url_or_path: str | Path,
        *,
        key_path: Path,
        create_key: bool = True,
        table_prefix: str = "audit",
        clock: Clock = _utc_now,
    ) -> AuditLog:
        """Open (creating tables if needed) the log at a file path or URL, with the signing key at `key_path`."""
        if create_key:
            key: Ed25519PrivateKey | None = load_or_create_key(key_path)
        else:
            key = load_key(key_path) if key_path.exists() else None
        engine = open_engine(url_or_path)
        tables = audit_tables(table_prefix)
        create_tables(engine, tables)
        return cls(engine, tables, signing_key=key, clock=clock)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="microseconds")

    # -- writing ----------------------------------------------------------------------------------------------

    def append(
        self, *, run_id: str, actor: str, kind: AuditKind | str, payload: Mapping[str, JsonValue] | None = None
    ) -> AuditRecord:
        """Redact, seal and store one record; returns it with its seq and hashes."""
        event = AuditEvent(run_id=run_id, actor=actor, kind=AuditKind(kind), payload=dict(payload or {}))
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[AuditEvent]) -> list[AuditRecord]:
        """Append several records in one transaction (contiguous seqs, one lock); payloads are redacted first."""
        pending = [(event, redact(event.payload)) for event in events]
        if not pending:
            return []
        with writing(self.engine) as conn:
            seq, prev = conn.execute(self._lock_head).one()
            sealed: list[AuditRecord] = []
            for event, payload in pending:
                seq += 1
                record = seal(
                    seq=seq,
                    recorded_at=self._now(),
                    prev_hash=prev,
                    run_id=event.run_id,
                    actor=event.actor,
                    kind=event.kind,
                    payload=payload,
                )
                sealed.append(record)
                prev = record.chain_hash
            conn.execute(self._insert, [record_to_row(record) for record in sealed])
            conn.execute(self._advance_head, {"head_seq": seq, "head_hash": prev})
        return sealed

    # -- reading ----------------------------------------------------------------------------------------------

    def _rows(self, *, run_id: str | None, since_seq: int | None) -> Iterator[RecordRow]:
        table = self.tables.records
        with reading(self.engine) as conn:
            last = since_seq
            while True:
                query = select(table).order_by(table.c.seq).limit(self.batch_size)
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

    def _checkpoints(self, conn: Connection, *, lenient: bool = False) -> list[SignedCheckpoint]:
        table = self.tables.checkpoints
        rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
        return [checkpoint_from_row(row, lenient=lenient) for row in rows]

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Stored checkpoints, oldest first."""
        with reading(self.engine) as conn:
            return self._checkpoints(conn)

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
        """Sign and store the current tree head, after checking the log still extends the last checkpoint."""
        if self.signing_key is None:
            raise AuditError("this log was opened without a signing key; it cannot issue checkpoints")
        with reading(self.engine) as conn:
            leaves = self._stored_leaves(conn)
            previous = self._checkpoints(conn)
        size = len(leaves)
        last = previous[-1] if previous else None
        sizes = {size} | ({last.tree_size} if last is not None and last.tree_size <= size else set())
        roots = merkle.tree_roots(leaves, sizes)
        if last is not None:
            if not self.verifier().is_valid(last):
                raise AuditIntegrityError("the last stored checkpoint has an invalid signature; run verify")
            if last.tree_size > size or roots[last.tree_size].hex() != last.root_hash:
                raise AuditIntegrityError(
                    f"the log no longer extends the checkpoint at size {last.tree_size}; refusing to sign; run verify"
                )
        signed = sign_checkpoint(self.signing_key, tree_size=size, root_hash=roots[size].hex(), issued_at=self._now())
        with writing(self.engine) as conn:
            conn.execute(insert(self.tables.checkpoints).values(**signed.model_dump()))
        return signed

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
            row = conn.execute(select(table).where(table.c.seq == proof.seq)).first()
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
    ) -> VerifyReport:
        """Recompute every hash, the chain and the tree; check stored and external checkpoints against the key."""
        verifier = self.verifier(public_key)
        with reading(self.engine) as conn:
            stored = self._checkpoints(conn, lenient=True)
        records = (StoredRecord.of(row) for row in self._rows(run_id=None, since_seq=None))
        return verify_log(records, [*stored, *(external_checkpoints or [])], verifier)
