"""Audit records: what one entry holds, its canonical bytes, and the two hashes derived from them."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Annotated, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SkipValidation

from cadencia.tools.audit.encoding import JsonObject, encode_json
from cadencia.tools.audit.merkle import leaf_hash

quote = encode_basestring
"""A string as a JSON literal exactly as the canonical encoder writes it (`"`, `\\` and control characters escaped)."""


class AuditKind(StrEnum):
    """What a record is about; `run` marks a run's start and end."""

    OBSERVATION = "observation"
    PROPOSAL = "proposal"
    VERDICT = "verdict"
    APPROVAL = "approval"
    EXECUTION = "execution"
    REPLAY = "replay"
    """A retry answered from the idempotency record of an execution: nothing ran again."""
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
    # Checked once, when the log encodes it (a payload that is not JSON is refused then, naming the value):
    # validating it here as well would cost more than sealing the record.
    payload: Annotated[JsonObject, SkipValidation] = Field(default_factory=dict)


class AuditRecord(BaseModel):
    """One sealed entry of the log: its content plus the hashes that chain it and place it in the Merkle tree."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1, description="1-based, contiguous position in the log")
    recorded_at: str = Field(description="UTC ISO-8601 time of the append")
    run_id: str
    actor: str = Field(description='who acted, e.g. "planner:heuristic", "human:alice", "graph", "token:ops-bot"')
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


RECORD_FIELDS = set(AuditRecord.model_fields)
"""Shared by every trusted record: a frozen model never changes it, and pydantic copies it before `model_copy`
updates the copy's."""


def trusted_record(
    *,
    seq: int,
    recorded_at: str,
    run_id: str,
    actor: str,
    kind: AuditKind,
    payload: JsonObject,
    leaf_hash: str,
    prev_hash: str,
    chain_hash: str,
) -> AuditRecord:
    """An AuditRecord from values the log computed itself, without validation.

    `model_construct` costs more than sealing a record; this sets the same four attributes it sets (pydantic v2's
    documented model state), which `test_trusted_records_equal_validated_ones` pins.
    """
    record = AuditRecord.__new__(AuditRecord)
    values = {
        "seq": seq,
        "recorded_at": recorded_at,
        "run_id": run_id,
        "actor": actor,
        "kind": kind,
        "payload": payload,
        "leaf_hash": leaf_hash,
        "prev_hash": prev_hash,
        "chain_hash": chain_hash,
    }
    object.__setattr__(record, "__dict__", values)
    object.__setattr__(record, "__pydantic_fields_set__", RECORD_FIELDS)
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


def entry_opening(actor: str, kind: str) -> str:
    """The start of an entry, up to its payload."""
    return f'{{"actor":{quote(actor)},"kind":{quote(kind)},"payload":'


def entry_closing(run_id: str) -> str:
    """The end of an entry after recorded_at, up to its seq."""
    return f',"run_id":{quote(run_id)},"seq":'


class EntryParts(NamedTuple):
    """The parts of an entry known before its position: everything but prev_hash, recorded_at and seq.

    An entry is canonical JSON with its keys sorted: actor, kind, payload, prev_hash, recorded_at, run_id, seq.
    """

    head: str
    tail: str

    @classmethod
    def of(cls, *, actor: str, kind: str, payload_json: str, run_id: str) -> EntryParts:
        """Quote the string fields once and keep the already encoded payload as it is."""
        return cls(head=f"{entry_opening(actor, kind)}{payload_json}", tail=entry_closing(run_id))

    def text(self, *, prev_hash: str, recorded_at: str, seq: int) -> str:
        """The entry's canonical JSON once its position is known."""
        return f'{self.head},"prev_hash":{quote(prev_hash)},"recorded_at":{quote(recorded_at)}{self.tail}{seq}}}'


def entry_text(
    *, seq: int, recorded_at: str, run_id: str, actor: str, kind: str, payload_json: str, prev_hash: str
) -> str:
    """The canonical JSON of an entry around an already encoded payload (no re-encoding of the payload)."""
    parts = EntryParts.of(actor=actor, kind=kind, payload_json=payload_json, run_id=run_id)
    return parts.text(prev_hash=prev_hash, recorded_at=recorded_at, seq=seq)


def entry_bytes(
    *, seq: int, recorded_at: str, run_id: str, actor: str, kind: str, payload: JsonValue, prev_hash: str
) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8) of everything a record asserts, prev_hash included."""
    text = entry_text(
        seq=seq,
        recorded_at=recorded_at,
        run_id=run_id,
        actor=actor,
        kind=kind,
        payload_json=encode_json(payload),
        prev_hash=prev_hash,
    )
    return text.encode("utf-8")


def leaf_hex(entry: bytes) -> str:
    """RFC 9162 leaf hash of an entry, hex."""
    return leaf_hash(entry).hex()


def chain_hex(entry: bytes) -> str:
    """Hash-chain link of an entry (SHA-256 over its canonical JSON), hex."""
    return hashlib.sha256(entry).hexdigest()
