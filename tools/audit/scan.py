"""The fast verification pass: one streaming read of the stored bytes, settled by the newest signed checkpoint.

Each entry is rebuilt by the database from the stored text (the payload is never parsed or re-encoded) and
hashed; the chain, the seqs and both stored hashes are compared; the newest checkpoint signed by the trusted key
must match the chain at its size, which proves every record before it; records after it need a valid MAC when
the private key is at hand, and are reported as not signed yet when it is not. Anything else returns None and
the caller runs the diagnosing pass, which names the damage.
"""

from __future__ import annotations

import hashlib
from binascii import hexlify, unhexlify
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cadencia.tools.audit.macs import RecordMac
from cadencia.tools.audit.merkle import Frontier
from cadencia.tools.audit.signing import CheckpointVerifier, SignedCheckpoint

EntryRow = tuple[int, bytes | None, bytes, bytes, bytes, bytes | None]
"""seq, the entry as the database builds it (`schema.record_entries`), leaf_hash, prev_hash, chain_hash, mac."""


@dataclass(frozen=True)
class KnownCheckpoint:
    """A checkpoint to check, with the Merkle frontier stored next to it (None for external or old ones)."""

    checkpoint: SignedCheckpoint
    frontier: str | None = None


@dataclass(frozen=True)
class Settled:
    """Outcome of a clean fast pass: records 1..signed_records are proven by a signature, the next mac_records by
    their MACs; any after those (only without the private key) are intact as stored but not signed yet."""

    records: int
    root_hash: str
    signed_records: int
    mac_records: int
    checkpoints_checked: int


def _base(checkpoints: Sequence[KnownCheckpoint], verifier: CheckpointVerifier) -> tuple[int, Frontier]:
    """Where to start the Merkle frontier: the newest checkpoint with a stored frontier this key signed, or 0."""
    for known in sorted(checkpoints, key=lambda k: k.checkpoint.tree_size, reverse=True):
        if known.frontier is None or known.checkpoint.chain_hash is None:
            continue
        try:
            frontier = Frontier.from_hex(known.checkpoint.tree_size, known.frontier)
        except ValueError:
            return 0, Frontier()
        if frontier.root().hex() == known.checkpoint.root_hash and verifier.is_valid(known.checkpoint):
            return frontier.size, frontier
        return 0, Frontier()
    return 0, Frontier()


def settle(
    batches: Iterable[Sequence[EntryRow]],
    checkpoints: Sequence[KnownCheckpoint],
    verifier: CheckpointVerifier,
    macs: RecordMac | None,
) -> Settled | None:
    """Verify in one pass; None when anything needs the diagnosing pass (tampering, or a row it cannot judge)."""
    sizes = {known.checkpoint.tree_size for known in checkpoints}
    newest = max(sizes, default=0)
    if any(known.checkpoint.chain_hash is None for known in checkpoints if known.checkpoint.tree_size == newest):
        return None  # the newest signature predates chained checkpoints: only the diagnosing pass checks roots
    start, frontier = _base(checkpoints, verifier)
    chains: dict[int, bytes] = {}
    roots: dict[int, bytes] = {}
    sha256 = hashlib.sha256
    expected, last = 1, b""
    for batch in batches:
        for seq, entry, leaf_hex, prev, chain_hex, mac in batch:
            if seq != expected or prev != last or entry is None:
                return None
            leaf = sha256(b"\x00" + entry).digest()
            chain = sha256(entry).digest()
            if hexlify(leaf) != leaf_hex or hexlify(chain) != chain_hex:
                return None
            if seq in sizes:
                chains[seq] = chain_hex
            if seq > start:
                frontier.append(leaf)
                if seq in sizes:
                    roots[seq] = frontier.root()
            if seq > newest and macs is not None and not macs.matches(mac, seq, unhexlify(prev), leaf, chain):
                return None
            expected, last = seq + 1, chain_hex
    count = expected - 1
    if newest > count:
        return None
    anchor = [known.checkpoint for known in checkpoints if known.checkpoint.tree_size == newest]
    checked = 0
    for checkpoint in anchor:
        checked += 1
        if not verifier.is_valid(checkpoint):
            return None
        chain_ok = checkpoint.chain_hash == chains.get(newest, b"").decode()
        root = roots.get(newest)
        if not chain_ok or (root is not None and root.hex() != checkpoint.root_hash):
            return None
    return Settled(
        records=count,
        root_hash=frontier.root().hex(),
        signed_records=newest if anchor else 0,
        mac_records=count - newest if macs is not None else 0,
        checkpoints_checked=checked,
    )
