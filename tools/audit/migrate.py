"""Bring a log written before records were signed up to schema 2: check it, add the columns, MAC it, sign its head.

Nothing does this on its own: signing vouches for records that no MAC or chained checkpoint protected, so a person
runs it (`cadencia audit migrate`), ideally with the checkpoints exported back then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import Connection, Table, bindparam, inspect, text, update
from sqlalchemy.schema import CreateColumn

from cadencia.tools.audit.errors import AuditError, AuditIntegrityError
from cadencia.tools.audit.log import AuditLog
from cadencia.tools.audit.macs import RecordMac
from cadencia.tools.audit.merkle import Frontier
from cadencia.tools.audit.rows import StoredRecord, checkpoint_from_row
from cadencia.tools.audit.schema import (
    ADDED_CHECKPOINT_COLUMNS,
    ADDED_RECORD_COLUMNS,
    checkpoint_rows,
    lock_schema,
    missing_columns,
    record_columns,
    writing,
)
from cadencia.tools.audit.signing import SignedCheckpoint, sign_checkpoint
from cadencia.tools.audit.verify import verify_log


@dataclass(frozen=True)
class Migration:
    """What `migrate` checked and signed."""

    records: int
    checkpoints_checked: int
    checkpoint: SignedCheckpoint


def _add_columns(conn: Connection, table: Table, names: tuple[str, ...]) -> None:
    preparer = conn.dialect.identifier_preparer
    have = {c["name"] for c in inspect(conn).get_columns(table.name)}
    for name in names:
        if name not in have:
            column = CreateColumn(table.c[name]).compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {column}"))


def migrate(log: AuditLog, *, external_checkpoints: list[SignedCheckpoint] | None = None) -> Migration:
    """Check the old log against its checkpoints (and `external_checkpoints`), then MAC every record and sign it.

    Refuses a log that does not verify; the whole migration is one transaction.
    """
    if log.current:
        raise AuditError("this audit log already signs its records; nothing to migrate")
    if log.signing_key is None:
        raise AuditError("migrating needs the signing key: run it where the log's key file is")
    key, tables = log.signing_key, log.tables
    verifier = log.verifier()
    with writing(log.engine) as conn:
        lock_schema(conn, tables)
        if not missing_columns(conn, tables):
            raise AuditError("this audit log was migrated meanwhile; nothing to do")
        rows = conn.execute(record_columns(tables).order_by(tables.records.c.seq)).all()
        stored = [
            checkpoint_from_row(row, lenient=True)
            for row in conn.execute(checkpoint_rows(tables, current=False)).mappings()
        ]
        records = [StoredRecord.of(row) for row in rows]
        report = verify_log(records, [*stored, *(external_checkpoints or [])], verifier)
        if not report.ok and not report.unsigned_only:
            raise AuditIntegrityError(f"refusing to sign a log that does not verify: {report.problem}")
        _add_columns(conn, tables.records, ADDED_RECORD_COLUMNS)
        _add_columns(conn, tables.checkpoints, ADDED_CHECKPOINT_COLUMNS)
        macs, frontier = RecordMac.for_key(key), Frontier()
        prev, updates = b"", []
        for record in records:
            leaf, chain = bytes.fromhex(record.leaf_hash), bytes.fromhex(record.chain_hash)
            updates.append({"s": record.seq, "m": macs.hex(record.seq, prev, leaf, chain)})
            frontier.append(leaf)
            prev = chain
        statement = update(tables.records).where(tables.records.c.seq == bindparam("s")).values(mac=bindparam("m"))
        if updates:
            conn.execute(statement, updates)
        issued_at = log.clock().astimezone(UTC).isoformat(timespec="microseconds")
        signed = sign_checkpoint(
            key, tree_size=len(records), root_hash=frontier.root().hex(), chain_hash=prev.hex(), issued_at=issued_at
        )
        values = signed.model_dump(include=set(SignedCheckpoint.model_fields))
        conn.execute(tables.checkpoints.insert().values(**values, frontier=frontier.to_hex()))
    log.current = True
    return Migration(records=len(records), checkpoints_checked=report.checkpoints_checked, checkpoint=signed)
