"""Record MACs: a keyed hash on every record, so writers (who hold the signing key) can trust each other's records.

Ed25519 signatures cost tens of microseconds and are made once per checkpoint; between two checkpoints each
record carries a BLAKE2s MAC under a key derived from the signing key. A writer chains from the newest record
only when its MAC checks, and signs records written by others only after checking theirs; `verify` run by a key
holder uses them to name the first record that differs even inside a span one signature covers. Whoever holds
only the public key cannot check MACs and relies on the signatures.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAC_KEY_INFO = b"cadencia audit record MAC v1"
MAC_PERSON = b"cadaudit"


def record_mac_key(key: Ed25519PrivateKey) -> bytes:
    """The MAC key derived (HKDF-SHA256) from the Ed25519 signing key: whoever can sign can MAC, nobody else."""
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=MAC_KEY_INFO).derive(raw)


class RecordMac:
    """MACs over a record's position, its link to the previous record and both of its hashes (raw digests)."""

    def __init__(self, mac_key: bytes) -> None:
        self._keyed = hashlib.blake2s(key=mac_key, person=MAC_PERSON)  # copied per record: keying costs a block

    def hex(self, seq: int, prev: bytes, leaf: bytes, chain: bytes) -> str:
        """The MAC as stored (hex)."""
        mac = self._keyed.copy()
        mac.update(seq.to_bytes(8, "big") + prev + leaf + chain)
        return mac.hexdigest()

    def matches(self, stored: str | bytes | None, seq: int, prev: bytes, leaf: bytes, chain: bytes) -> bool:
        """True when `stored` (as read from the database) is the MAC of these values (constant-time comparison)."""
        if stored is None:
            return False
        if isinstance(stored, str):
            stored = stored.encode("utf-8", "replace")
        return hmac.compare_digest(stored, self.hex(seq, prev, leaf, chain).encode("ascii"))

    @classmethod
    def for_key(cls, key: Ed25519PrivateKey) -> RecordMac:
        """The MACs of the log signed by `key`."""
        return cls(record_mac_key(key))
