"""Ed25519 signed checkpoints: the key file, signing a tree head, and checking one with only the public key."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.audit.errors import AuditError
from cadencia.tools.store.canonical import canonical_json

KEY_FILENAME = "audit-signing-key.pem"
HEX64 = r"^[0-9a-f]{64}$"
CHAIN = r"^(?:[0-9a-f]{64})?$"


class SignedCheckpoint(BaseModel):
    """A signed tree head: the log had `tree_size` records whose Merkle root was `root_hash` at `issued_at`.

    `chain_hash` (the hash-chain link of record `tree_size`) binds the signature to the chain as well, so one
    checkpoint proves every record up to it; checkpoints written before records were signed have none.
    """

    model_config = ConfigDict(frozen=True)

    tree_size: int = Field(ge=0)
    root_hash: str = Field(pattern=HEX64)
    issued_at: str
    key_id: str = Field(description="first 16 hex chars of SHA-256 of the raw public key")
    signature: str = Field(description="hex Ed25519 signature over signed_bytes()")
    chain_hash: str | None = Field(default=None, pattern=CHAIN, description='chain_hash of record tree_size ("" at 0)')

    def signed_bytes(self) -> bytes:
        """Canonical JSON of the signed fields (everything but the signature)."""
        fields: dict[str, str | int] = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "issued_at": self.issued_at,
            "key_id": self.key_id,
        }
        if self.chain_hash is not None:
            fields["chain_hash"] = self.chain_hash
        return canonical_json(fields).encode("utf-8")


class SignatureStatus(StrEnum):
    """Outcome of checking a checkpoint's signature."""

    VALID = "valid"
    OTHER_KEY = "other_key"
    FORGED = "forged"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at `path`, created (mode 0600, PKCS#8 PEM) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key(path)  # another process created it first
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return load_key(path)


def load_key(path: Path) -> Ed25519PrivateKey:
    """Read an existing Ed25519 private key from a PEM file."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM of a public key, for keeping next to exported checkpoints."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_hex(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, hex."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """A public key from PEM text or 64 hex characters."""
    raw = text.encode() if isinstance(text, str) else text
    if raw.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(raw)
        if not isinstance(key, Ed25519PublicKey):
            raise AuditError("the PEM does not hold an Ed25519 public key")
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(raw.decode().strip()))
    except ValueError as exc:
        raise AuditError("a public key must be PEM or 64 hex characters") from exc


def key_id(key: Ed25519PublicKey) -> str:
    """Short identifier of a public key: the first 16 hex chars of SHA-256 of its raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_key_hex(key))).hexdigest()[:16]


def sign_checkpoint(
    key: Ed25519PrivateKey,
    *,
    tree_size: int,
    root_hash: str,
    issued_at: str | None = None,
    chain_hash: str | None = None,
) -> SignedCheckpoint:
    """Sign the tree head (`tree_size`, `root_hash`, and chain link `chain_hash` if given) now or at `issued_at`."""
    unsigned = SignedCheckpoint(
        tree_size=tree_size,
        root_hash=root_hash,
        issued_at=issued_at or datetime.now(UTC).isoformat(timespec="microseconds"),
        key_id=key_id(key.public_key()),
        signature="",
        chain_hash=chain_hash,
    )
    return unsigned.model_copy(update={"signature": key.sign(unsigned.signed_bytes()).hex()})


class CheckpointVerifier:
    """Checks checkpoints against one trusted public key; needs no private key."""

    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self.public_key = public_key
        self.key_id = key_id(public_key)

    def status(self, checkpoint: SignedCheckpoint) -> SignatureStatus:
        """VALID, OTHER_KEY (claims or is signed by a different key) or FORGED (signature does not verify)."""
        try:
            signature = bytes.fromhex(checkpoint.signature)
            self.public_key.verify(signature, checkpoint.signed_bytes())
        except (InvalidSignature, ValueError):
            return SignatureStatus.OTHER_KEY if checkpoint.key_id != self.key_id else SignatureStatus.FORGED
        return SignatureStatus.VALID if checkpoint.key_id == self.key_id else SignatureStatus.FORGED

    def is_valid(self, checkpoint: SignedCheckpoint) -> bool:
        """True when the checkpoint was signed by this key and not altered since."""
        return self.status(checkpoint) is SignatureStatus.VALID


def verify_checkpoint(checkpoint: SignedCheckpoint, public_key: Ed25519PublicKey) -> bool:
    """True when `checkpoint` carries a valid signature by `public_key`."""
    return CheckpointVerifier(public_key).is_valid(checkpoint)


def write_checkpoints(path: Path, checkpoints: list[SignedCheckpoint]) -> None:
    """Write checkpoints as JSON lines, for keeping outside the log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(cp.model_dump_json() + "\n" for cp in checkpoints), encoding="utf-8")


def append_checkpoints(path: Path, checkpoints: list[SignedCheckpoint]) -> None:
    """Add checkpoints at the end of a JSON-lines file (created if missing), flushed before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(cp.model_dump_json() + "\n" for cp in checkpoints))


def read_checkpoints(path: Path) -> list[SignedCheckpoint]:
    """Read checkpoints written by `write_checkpoints` (blank lines ignored)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [SignedCheckpoint.model_validate_json(line) for line in lines if line.strip()]
