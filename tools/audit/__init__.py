"""Tamper-evident audit log: PII-redacted records, hash chain, RFC 9162 Merkle tree, Ed25519-signed checkpoints."""

from cadencia.tools.audit.errors import AuditError, AuditIntegrityError, RecordNotFound
from cadencia.tools.audit.log import AuditLog
from cadencia.tools.audit.proofs import ConsistencyProof, InclusionProof, check_consistency, check_inclusion
from cadencia.tools.audit.records import AuditEvent, AuditKind, AuditRecord, JsonObject, entry_bytes
from cadencia.tools.audit.redact import redact, redact_text
from cadencia.tools.audit.signing import (
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
from cadencia.tools.audit.verify import VerifyReport, verify_log

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
