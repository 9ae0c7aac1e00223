"""Tamper-evident audit log: PII-redacted, hash-chained and MAC'd records, RFC 9162 Merkle tree, Ed25519 checkpoints."""

from cadencia.tools.audit.errors import AuditError, AuditIntegrityError, LegacyLogError, RecordNotFound
from cadencia.tools.audit.exports import CheckpointExport
from cadencia.tools.audit.log import DEFAULT_CHECKPOINT_EVERY, AuditLog
from cadencia.tools.audit.migrate import Migration, migrate
from cadencia.tools.audit.proofs import ConsistencyProof, InclusionProof, check_consistency, check_inclusion
from cadencia.tools.audit.records import AuditEvent, AuditKind, AuditRecord, JsonObject, entry_bytes
from cadencia.tools.audit.redact import redact, redact_text
from cadencia.tools.audit.signing import (
    KEY_FILENAME,
    CheckpointVerifier,
    SignatureStatus,
    SignedCheckpoint,
    append_checkpoints,
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
    "DEFAULT_CHECKPOINT_EVERY",
    "KEY_FILENAME",
    "AuditError",
    "AuditEvent",
    "AuditIntegrityError",
    "AuditKind",
    "AuditLog",
    "AuditRecord",
    "CheckpointExport",
    "CheckpointVerifier",
    "ConsistencyProof",
    "InclusionProof",
    "JsonObject",
    "LegacyLogError",
    "Migration",
    "RecordNotFound",
    "SignatureStatus",
    "SignedCheckpoint",
    "VerifyReport",
    "append_checkpoints",
    "check_consistency",
    "check_inclusion",
    "entry_bytes",
    "key_id",
    "load_or_create_key",
    "load_public_key",
    "migrate",
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
