"""Audit records: what one entry holds, its canonical bytes, and the two hashes derived from them."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from cadencia.tools.audit.merkle import leaf_hash
from cadencia.tools.store.canonical import canonical_json

JsonObject = dict[str, JsonValue]
"""A JSON object: the shape of every audit payload."""


class AuditKind(StrEnum):
    """What a record is about; `run` marks a run's start and end."""

    OBSERVATION = "observation"
    PROPOSAL = "proposal"
    VERDICT = "verdict"
    APPROVAL = "approval"
    EXECUTION = "execution"
    UNDO = "undo"
    ERROR = "error"
    RUN = "run"


class Sealed(Protocol):
    """What verification needs from a record: its position, stored hashes, and the bytes they should cover."""

    @property
    def seq(self) -> int: ...

    @property
    def leaf_hash(self) -> str: ...

    @property
    def prev_hash(self) -> str: ...

    @property
    def chain_hash(self) -> str: ...

    def entry(self, *, seq: int | None = None) -> bytes: ...


class AuditEvent(BaseModel):
    """One record to append: who did what in which run (seq, time and hashes are assigned by the log)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    actor: str
    kind: AuditKind
    payload: JsonObject = Field(default_factory=dict)


class AuditRecord(BaseModel):
    """One sealed entry of the log: its content plus the hashes that chain it and place it in the Merkle tree."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1, description="1-based, contiguous position in the log")
    recorded_at: str = Field(description="UTC ISO-8601 time of the append")
    run_id: str
    actor: str = Field(description='who acted, e.g. "planner:heuristic", "human:alice", "graph"')
    kind: AuditKind
    payload: JsonObject = Field(description="PII-redacted, JSON-compatible details")
    leaf_hash: str = Field(description="hex SHA-256(0x00 ‖ entry): the Merkle leaf")
    prev_hash: str = Field(description='chain_hash of the previous record, "" for the first')
    chain_hash: str = Field(description="hex SHA-256(entry): the hash-chain link")

    def entry(self, *, seq: int | None = None) -> bytes:
        """The canonical bytes both hashes cover (optionally as if the record sat at another `seq`)."""
        return entry_bytes(
            seq=self.seq if seq is None else seq,
            recorded_at=self.recorded_at,
            run_id=self.run_id,
            actor=self.actor,
            kind=str(self.kind),
            payload=self.payload,
            prev_hash=self.prev_hash,
        )

    def content_matches(self) -> bool:
        """True when both stored hashes are what the content hashes to."""
        entry = self.entry()
        return chain_hex(entry) == self.chain_hash and leaf_hex(entry) == self.leaf_hash


def entry_bytes(
    *, seq: int, recorded_at: str, run_id: str, actor: str, kind: str, payload: JsonValue, prev_hash: str
) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8) of everything a record asserts, prev_hash included."""
    fields = {
        "seq": seq,
        "recorded_at": recorded_at,
        "run_id": run_id,
        "actor": actor,
        "kind": kind,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return canonical_json(fields).encode("utf-8")


def leaf_hex(entry: bytes) -> str:
    """RFC 9162 leaf hash of an entry, hex."""
    return leaf_hash(entry).hex()


def chain_hex(entry: bytes) -> str:
    """Hash-chain link of an entry (SHA-256 over its canonical JSON), hex."""
    return hashlib.sha256(entry).hexdigest()


def normalize_payload(payload: JsonObject) -> JsonObject:
    """The payload exactly as it will read back from storage (one canonical JSON round trip)."""
    loaded: JsonObject = json.loads(canonical_json(payload))
    return loaded


def seal(
    *, seq: int, recorded_at: str, prev_hash: str, run_id: str, actor: str, kind: AuditKind, payload: JsonObject
) -> AuditRecord:
    """Build the record at `seq` chained after `prev_hash`, computing both hashes."""
    stored = normalize_payload(payload)
    entry = entry_bytes(
        seq=seq,
        recorded_at=recorded_at,
        run_id=run_id,
        actor=actor,
        kind=str(kind),
        payload=stored,
        prev_hash=prev_hash,
    )
    return AuditRecord.model_construct(  # every field is computed here from validated, JSON-normalized inputs
        seq=seq,
        recorded_at=recorded_at,
        run_id=run_id,
        actor=actor,
        kind=AuditKind(kind),
        payload=stored,
        leaf_hash=leaf_hex(entry),
        prev_hash=prev_hash,
        chain_hash=chain_hex(entry),
    )
