"""Conversions between stored rows and models: validated for normal reads, raw (as stored) for verification."""

from __future__ import annotations

import json
from typing import NamedTuple

from pydantic import ValidationError
from sqlalchemy import Row, RowMapping

from cadencia.tools.audit.errors import AuditIntegrityError
from cadencia.tools.audit.records import AuditRecord, entry_text
from cadencia.tools.audit.signing import SignedCheckpoint

CHECKPOINT_FIELDS = frozenset(SignedCheckpoint.model_fields)

BytesRow = tuple[int, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes | None]
"""seq, recorded_at, run_id, actor, kind, payload, leaf_hash, prev_hash, chain_hash, mac: text columns as UTF-8."""


def record_from_row(row: RowMapping) -> AuditRecord:
    """A stored row as a validated record; an unreadable row means tampering."""
    try:
        return AuditRecord.model_validate({**row, "payload": json.loads(row["payload"])})
    except (json.JSONDecodeError, TypeError, ValidationError) as exc:
        raise AuditIntegrityError(f"record {row['seq']} is unreadable; run `cadencia audit verify`") from exc


RecordRow = Row[tuple[int, str, str, str, str, str, str, str, str]]
"""One `audit_records` row, the record columns in table order."""


def _text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


class StoredRecord(NamedTuple):
    """A row exactly as stored, unvalidated: verification lets the hashes judge it."""

    seq: int
    recorded_at: str
    run_id: str
    actor: str
    kind: str
    payload: str
    leaf_hash: str
    prev_hash: str
    chain_hash: str
    mac: str | None = None

    @classmethod
    def of(cls, row: RecordRow) -> StoredRecord:
        """The record held in one `audit_records` row (record columns in table order)."""
        return cls(*row)

    @classmethod
    def from_bytes(cls, row: BytesRow) -> StoredRecord:
        """The record from a row read as bytes (undecodable bytes kept, so they still hash as stored)."""
        seq, *texts, mac = row
        return cls(seq, *map(_text, texts), None if mac is None else _text(mac))

    def entry(self, *, seq: int | None = None) -> bytes:
        """The bytes the stored hashes should cover, built around the stored payload text as it is."""
        text = entry_text(
            seq=self.seq if seq is None else seq,
            recorded_at=self.recorded_at,
            run_id=self.run_id,
            actor=self.actor,
            kind=self.kind,
            payload_json=self.payload,
            prev_hash=self.prev_hash,
        )
        return text.encode("utf-8", "surrogateescape")


def checkpoint_from_row(row: RowMapping, *, lenient: bool) -> SignedCheckpoint:
    """A stored checkpoint row; `lenient` keeps a malformed one (its signature will not verify)."""
    fields = {key: value for key, value in row.items() if key in CHECKPOINT_FIELDS}
    try:
        return SignedCheckpoint.model_validate(fields)
    except ValidationError as exc:
        if not lenient:
            raise AuditIntegrityError("a stored checkpoint is malformed; run `cadencia audit verify`") from exc
    size = fields.get("tree_size")
    texts = {key: str(value) for key, value in fields.items() if key not in ("tree_size", "chain_hash")}
    chain = fields.get("chain_hash")
    return SignedCheckpoint.model_construct(
        **texts,
        tree_size=size if isinstance(size, int) and size >= 0 else 0,
        chain_hash=None if chain is None else str(chain),
    )
