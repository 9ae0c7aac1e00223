"""Tamper-evident audit log: PII-redacted records, hash chain, RFC 9162 Merkle tree, Ed25519-signed checkpoints."""

from cadencia.agents.audit.errors import AuditError, AuditIntegrityError, RecordNotFound
from cadencia.agents.audit.log import AuditLog
from cadencia.agents.audit.proofs import ConsistencyProof, InclusionProof, check_consistency, check_inclusion
from cadencia.agents.audit.records import AuditEvent, AuditKind, AuditRecord, JsonObject, entry_bytes
from cadencia.agents.audit.redact import redact, redact_text
from cadencia.agents.audit.signing import (
    KEY_FILENAME,
    CheckpointVerifier,
    SignatureStatus,
    SignedCheckpoint,
    key_id,
    load_or_create_key,
    load_public_key,
    public_key_hex,
    public_key_pem,
    read_checkpoints,
    sign_checkpoint,
    verify_checkpoint,
    write_checkpoints,
)
from cadencia.agents.audit.verify import VerifyReport, verify_log

__all__ = [
    "KEY_FILENAME",
    "AuditError",
    "AuditEvent",
    "AuditIntegrityError",
    "AuditKind",
    "AuditLog",
    "AuditRecord",
    "CheckpointVerifier",
    "ConsistencyProof",
    "InclusionProof",
    "JsonObject",
    "RecordNotFound",
    "SignatureStatus",
    "SignedCheckpoint",
    "VerifyReport",
    "check_consistency",
    "check_inclusion",
    "entry_bytes",
    "key_id",
    "load_or_create_key",
    "load_public_key",
    "public_key_hex",
    "public_key_pem",
    "read_checkpoints",
    "redact",
    "redact_text",
    "sign_checkpoint",
    "verify_checkpoint",
    "verify_log",
    "write_checkpoints",
]
