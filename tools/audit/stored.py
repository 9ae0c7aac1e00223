"""Verification of a log as stored: the fast pass over entries the database builds, then, when anything is off
(or on request), the diagnosing pass over every row as stored, in one read snapshot."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection

from cadencia.tools.audit.macs import RecordMac
from cadencia.tools.audit.records import Sealed
from cadencia.tools.audit.rows import BytesRow, StoredRecord
from cadencia.tools.audit.scan import EntryRow, KnownCheckpoint, Settled, settle
from cadencia.tools.audit.schema import AuditTables, record_bytes, record_entries
from cadencia.tools.audit.signing import CheckpointVerifier, key_id
from cadencia.tools.audit.statements import Statement, stream
from cadencia.tools.audit.verify import MacCheck, VerifyReport, unsigned_problem, verify_log


def record_macs(
    key: Ed25519PrivateKey | None, verifier: CheckpointVerifier, *, current: bool
) -> tuple[RecordMac | None, MacCheck | None]:
    """The record MACs and a check over them, when `key` is the private key of the key being trusted."""
    if key is None or not current or key_id(key.public_key()) != verifier.key_id:
        return None, None
    macs = RecordMac.for_key(key)

    def check(record: Sealed, leaf: bytes, chain: bytes) -> bool:
        if not isinstance(record, StoredRecord):
            return False
        try:
            prev = bytes.fromhex(record.prev_hash)
        except ValueError:
            return False
        return macs.matches(record.mac, record.seq, prev, leaf, chain)

    return macs, check


def _settled_report(settled: Settled, verifier: CheckpointVerifier) -> VerifyReport:
    """The report of a clean fast pass; records no signature or MAC covers are the only possible problem."""
    proven = settled.signed_records + settled.mac_records
    problems = [unsigned_problem(proven + 1, settled.records)] if proven < settled.records else []
    return VerifyReport(
        ok=not problems,
        records=settled.records,
        checkpoints_checked=settled.checkpoints_checked,
        first_bad_seq=proven + 1 if problems else None,
        problem=problems[0] if problems else None,
        problems=problems,
        root_hash=settled.root_hash,
        key_id=verifier.key_id,
        signed_records=settled.signed_records,
        mac_records=settled.mac_records,
    )


def _entry_rows(conn: Connection, tables: AuditTables, batch: int) -> Iterator[list[EntryRow]]:
    query = Statement(record_entries(tables, conn.dialect.name, with_mac=True), conn.dialect)
    yield from stream(conn, query, batch)


def _bytes_rows(conn: Connection, tables: AuditTables, batch: int, *, current: bool) -> Iterator[list[BytesRow]]:
    query = Statement(record_bytes(tables, conn.dialect.name, with_mac=current), conn.dialect)
    yield from stream(conn, query, batch)


def verify_stored(
    conn: Connection,
    tables: AuditTables,
    checkpoints: Sequence[KnownCheckpoint],
    verifier: CheckpointVerifier,
    *,
    key: Ed25519PrivateKey | None,
    current: bool,
    batch: int,
    full: bool,
) -> VerifyReport:
    """Verify the records read through `conn` against `checkpoints` (stored and external, deduplicated)."""
    macs, mac_check = record_macs(key, verifier, current=current)
    if not full and current:
        settled = settle(_entry_rows(conn, tables, batch), checkpoints, verifier, macs)
        if settled is not None:
            return _settled_report(settled, verifier)
    rows = _bytes_rows(conn, tables, batch, current=current)
    records = (StoredRecord.from_bytes(row) for chunk in rows for row in chunk)
    return verify_log(records, [k.checkpoint for k in checkpoints], verifier, mac_check=mac_check)
