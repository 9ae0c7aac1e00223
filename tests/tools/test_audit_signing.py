"""Ed25519 signing key file and signed checkpoints."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cadencia.tools.audit import (
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

ROOT = "ab" * 32
ISSUED = "2026-03-02T09:00:00.000000+00:00"


def test_the_key_file_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "audit-signing-key.pem"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    again = load_or_create_key(path)
    assert public_key_hex(again.public_key()) == public_key_hex(first.public_key())


def test_the_public_key_round_trips_through_pem_and_hex(tmp_path: Path) -> None:
    public = load_or_create_key(tmp_path / "k.pem").public_key()
    assert len(public_key_hex(public)) == 64
    for exported in (public_key_pem(public), public_key_hex(public)):
        assert public_key_hex(load_public_key(exported)) == public_key_hex(public)


def test_a_checkpoint_signature_covers_every_field() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_checkpoint(key, tree_size=12, root_hash=ROOT, issued_at=ISSUED)
    assert signed.key_id == key_id(key.public_key()) and len(signed.key_id) == 16
    assert verify_checkpoint(signed, key.public_key())
    for change in ({"tree_size": 13}, {"root_hash": "cd" * 32}, {"issued_at": "2027-01-01T00:00:00+00:00"}):
        assert not verify_checkpoint(signed.model_copy(update=change), key.public_key())


def test_a_verifier_with_only_the_public_key_tells_forged_from_foreign_checkpoints() -> None:
    ours, theirs = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    verifier = CheckpointVerifier(load_public_key(public_key_pem(ours.public_key())))
    genuine = sign_checkpoint(ours, tree_size=3, root_hash=ROOT, issued_at=ISSUED)
    foreign = sign_checkpoint(theirs, tree_size=3, root_hash=ROOT, issued_at=ISSUED)
    impostor = foreign.model_copy(update={"key_id": genuine.key_id})
    assert verifier.status(genuine) is SignatureStatus.VALID
    assert verifier.status(foreign) is SignatureStatus.OTHER_KEY
    assert verifier.status(impostor) is SignatureStatus.FORGED
    assert verifier.status(genuine.model_copy(update={"signature": "not hex"})) is SignatureStatus.FORGED


def test_checkpoints_round_trip_through_json_lines(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    checkpoints = [sign_checkpoint(key, tree_size=n, root_hash=ROOT, issued_at=ISSUED) for n in (1, 5)]
    path = tmp_path / "out" / "checkpoints.jsonl"
    write_checkpoints(path, checkpoints)
    assert len(path.read_text().splitlines()) == 2
    loaded = read_checkpoints(path)
    assert loaded == checkpoints
    assert all(isinstance(cp, SignedCheckpoint) and verify_checkpoint(cp, key.public_key()) for cp in loaded)
