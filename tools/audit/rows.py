"""Conversions between stored rows and models: validated for normal reads, raw (as stored) for verification."""

from __future__ import annotations

import json
from typing import NamedTuple

from pydantic import JsonValue, ValidationError
from sqlalchemy import Row, RowMapping

from cadencia.tools.audit.errors import AuditIntegrityError
from cadencia.tools.audit.records import AuditRecord, entry_bytes
from cadencia.tools.audit.signing import SignedCheckpoint
from cadencia.tools.store.canonical import canonical_json


def record_to_row(record: AuditRecord) -> dict[str, str | int]:
    """Column values of a record; the payload is stored as its canonical JSON text."""
    return {
        "seq": record.seq,
        "recorded_at": record.recorded_at,
        "run_id": record.run_id,
        "actor": record.actor,
        "kind": str(record.kind),
        "payload": canonical_json(record.payload),
        "leaf_hash": record.leaf_hash,
        "prev_hash": record.prev_hash,
        "chain_hash": record.chain_hash,
    }


def record_from_row(row: RowMapping) -> AuditRecord:
    """A stored row as a validated record; an unreadable row means tampering."""
    try:
        return AuditRecord.model_validate({**row, "payload": json.loads(row["payload"])})
    except (json.JSONDecodeError, TypeError, ValidationError) as exc:
        raise AuditIntegrityError(f"record {row['seq']} is unreadable; run `cadencia audit verify`") from exc


RecordRow = Row[tuple[int, str, str, str, str, str, str, str, str]]
"""One `audit_records` row, columns in table order."""


class StoredRecord(NamedTuple):
    """A row exactly as stored, unvalidated: verification lets the hashes judge it (and is faster for it)."""

    seq: int
    recorded_at: str
    run_id: str
    actor: str
    kind: str
    payload: str
    leaf_hash: str
    prev_hash: str
    chain_hash: str

    @classmethod
    def of(cls, row: RecordRow) -> StoredRecord:
        """The record held in one `audit_records` row (columns in table order)."""
        return cls._make(row)

    def entry(self, *, seq: int | None = None) -> bytes:
        """The canonical bytes the stored hashes should cover (an unparsable payload counts as a JSON string)."""
        try:
            payload: JsonValue = json.loads(self.payload)
        except (json.JSONDecodeError, TypeError):
            payload = str(self.payload)
        return entry_bytes(
            seq=self.seq if seq is None else seq,
            recorded_at=self.recorded_at,
            run_id=self.run_id,
            actor=self.actor,
            kind=self.kind,
            payload=payload,
            prev_hash=self.prev_hash,
        )


def checkpoint_from_row(row: RowMapping, *, lenient: bool) -> SignedCheckpoint:
    """A stored checkpoint row; `lenient` keeps a malformed one (its signature will not verify)."""
    fields = {key: value for key, value in row.items() if key != "id"}
    try:
        return SignedCheckpoint.model_validate(fields)
    except ValidationError as exc:
        if not lenient:
            raise AuditIntegrityError("a stored checkpoint is malformed; run `cadencia audit verify`") from exc
        return SignedCheckpoint.model_construct(**fields)
