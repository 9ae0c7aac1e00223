"""The diagnosing verification of a whole log: record hashes, the chain, seq order, MACs and signed checkpoints.

It keeps what it needs to say what happened, so it is slower than the fast pass (`scan.settle`) and runs when
that pass finds anything wrong, or when asked for. Findings are sentences naming the first record that differs:
exact findings (a record whose stored hashes or MAC do not match its content, a gap, a swap) come before span
findings (a signed checkpoint the log no longer matches, records no signature covers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from cadencia.tools.audit import merkle
from cadencia.tools.audit.records import Sealed, chain_hex
from cadencia.tools.audit.signing import CheckpointVerifier, SignatureStatus, SignedCheckpoint

MOVE_WINDOW = 16  # how far a renumbered record is looked for when the chain cannot place it
KEPT_MISMATCHES = 256  # records with a bad hash kept in memory to tell a swap from an edit


class VerifyReport(BaseModel):
    """Outcome of `verify`: ok, what was checked and, when not ok, the first problem in plain words."""

    ok: bool
    records: int
    checkpoints_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    problems: list[str] = []
    root_hash: str
    key_id: str
    signed_records: int = Field(0, description="records 1..n proven by a checkpoint signed with the trusted key")
    mac_records: int = Field(0, description="records after those, proven by their MACs (needs the private key)")

    @property
    def unsigned_only(self) -> bool:
        """True when the only problem is records that no signature covers yet (nothing was found altered)."""
        return not self.ok and all(p.startswith(UNSIGNED_PREFIX) for p in self.problems)


UNSIGNED_PREFIX = "not signed: "

MacCheck = Callable[[Sealed, bytes, bytes], bool]
"""Whether a record's stored MAC matches it, given its recomputed leaf and chain digests (key holders only)."""


@dataclass(frozen=True)
class _Finding:
    seq: int | None
    message: str
    exact: bool = True


def _span(first: int, last: int, one: str, many: str) -> str:
    return one.format(first) if first == last else many.format(f"{first}..{last}")


@dataclass
class _Scan:
    """Everything kept from one streaming pass over the records."""

    mac_check: MacCheck | None = None
    leaves: list[bytes] = field(default_factory=list)
    chains: list[bytes] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    prevs: list[str] = field(default_factory=list)
    position_by_chain: dict[str, int] = field(default_factory=dict)
    mismatched: dict[int, Sealed] = field(default_factory=dict)
    last_chain: str = ""
    finding: _Finding | None = None
    suspect: tuple[int, Sealed] | None = None
    mac_finding: _Finding | None = None

    def add(self, record: Sealed) -> None:
        position = len(self.leaves)
        entry = record.entry()
        leaf, chain = merkle.leaf_hash(entry), hashlib.sha256(entry).digest()
        self.leaves.append(leaf)
        self.chains.append(chain)
        content_ok = chain.hex() == record.chain_hash and leaf.hex() == record.leaf_hash
        if self.mac_check is not None and self.mac_finding is None and not self.mac_check(record, leaf, chain):
            self.mac_finding = _Finding(
                record.seq,
                f"record {record.seq} does not match the MAC it was written with: it was forged, or changed "
                "with its hashes recomputed",
            )
        if not content_ok and len(self.mismatched) < KEPT_MISMATCHES:
            self.mismatched[record.seq] = record
        if self.finding is None and self.suspect is None:
            self._check(position, record, content_ok)
        self.seqs.append(record.seq)
        self.prevs.append(record.prev_hash)
        self.position_by_chain.setdefault(record.chain_hash, position)
        self.last_chain = record.chain_hash

    def _check(self, position: int, record: Sealed, content_ok: bool) -> None:
        previous = self.seqs[-1] if self.seqs else 0
        expected = previous + 1
        if record.seq > expected:
            start = f"jumps from {previous} to {record.seq}" if previous else f"starts at {record.seq}"
            gap = _span(expected, record.seq - 1, "record {} is missing", "records {} are missing")
            self.finding = _Finding(expected, f"{gap} (seq {start})")
        elif record.seq == previous:
            self.finding = _Finding(record.seq, f"record {record.seq} appears twice")
        elif record.seq < expected:
            self.finding = _Finding(record.seq, f"records {previous} and {record.seq} are out of order")
        elif not content_ok:
            self.suspect = (position, record)
        elif record.prev_hash != self.last_chain:
            self.finding = self._chain_break(position, record)

    def _chain_break(self, position: int, record: Sealed) -> _Finding:
        if position == 0:
            return _Finding(record.seq, f"record {record.seq} was inserted: it is first but its prev_hash is not empty")
        before = self.position_by_chain.get(record.prev_hash)
        previous = self.seqs[position - 1]
        if before is not None and before < position - 1:
            first, last = self.seqs[before + 1], previous
            inserted = _span(first, last, "record {} was inserted", "records {} were inserted")
            return _Finding(first, f"{inserted}: record {record.seq} chains from record {self.seqs[before]}")
        return _Finding(
            record.seq,
            f"record {record.seq} was inserted (or record {previous} replaced): "
            f"its prev_hash does not chain from record {previous}",
        )

    def chain_position(self, position: int) -> int | None:
        """1-based place of a row in the chain its stored prev_hash links describe, or None if the chain breaks."""
        steps = 0
        while self.prevs[position] != "":
            before = self.position_by_chain.get(self.prevs[position])
            if before is None or steps > len(self.prevs):
                return None
            position, steps = before, steps + 1
        return steps + 1


def _written_as(record: Sealed, seq: int) -> bool:
    return chain_hex(record.entry(seq=seq)) == record.chain_hash


def _original_seq(scan: _Scan, position: int, record: Sealed) -> int | None:
    """The seq a record with a bad hash was originally written at, if its content is intact."""
    candidates: list[int] = []
    placed = scan.chain_position(position)
    if placed is not None:
        candidates.append(placed)
    for distance in range(1, MOVE_WINDOW + 1):
        candidates += [record.seq + distance, record.seq - distance]
    return next((k for k in candidates if k >= 1 and k != record.seq and _written_as(record, k)), None)


def _diagnose(scan: _Scan, position: int, record: Sealed) -> _Finding:
    s = record.seq
    k = _original_seq(scan, position, record)
    if k is None:
        return _Finding(s, f"record {s} was edited: its hash does not match its content")
    moved = f"seq {s} holds what was written as record {k}"
    if k > s:
        other = scan.mismatched.get(k)
        if other is not None and _written_as(other, s):
            return _Finding(s, f"records {s} and {k} are out of order")
        missing = _span(s, k - 1, "record {} is missing", "records {} are missing")
        return _Finding(s, f"{missing}: the records after it were renumbered ({moved})")
    inserted = _span(k, s - 1, "record {} was inserted", "records {} were inserted")
    return _Finding(k, f"{inserted}: the records after it were renumbered ({moved})")


def _signature_findings(
    checkpoints: list[SignedCheckpoint], verifier: CheckpointVerifier
) -> tuple[list[_Finding], list[SignedCheckpoint]]:
    """Findings for checkpoints not signed by the trusted key, and the checkpoints that are."""
    findings: list[_Finding] = []
    valid: list[SignedCheckpoint] = []
    for cp in checkpoints:
        status = verifier.status(cp)
        if status is SignatureStatus.OTHER_KEY:
            message = f"was signed by another key (key_id {cp.key_id}, expected {verifier.key_id})"
            findings.append(_Finding(None, f"checkpoint at size {cp.tree_size} {message}"))
        elif status is SignatureStatus.FORGED:
            findings.append(_Finding(None, f"checkpoint at size {cp.tree_size}: signature invalid (forged)"))
        else:
            valid.append(cp)
    return findings, valid


def _matches(cp: SignedCheckpoint, scan: _Scan, roots: dict[int, bytes]) -> bool:
    """True when the log's first `tree_size` records have the signed root (and chain link, when signed)."""
    if roots[cp.tree_size].hex() != cp.root_hash:
        return False
    chain = scan.chains[cp.tree_size - 1].hex() if cp.tree_size else ""
    return cp.chain_hash is None or cp.chain_hash == chain


def _checkpoint_findings(
    valid: list[SignedCheckpoint], scan: _Scan, roots: dict[int, bytes]
) -> tuple[list[_Finding], int]:
    """Findings for signed checkpoints the log no longer matches or has lost, and how many records they prove."""
    size = len(scan.leaves)
    findings: list[_Finding] = []
    within = [cp for cp in valid if cp.tree_size <= size]
    good = [cp.tree_size for cp in within if _matches(cp, scan, roots)]
    bad = [cp for cp in within if not _matches(cp, scan, roots)]
    signed = max(good, default=0)
    if bad:
        first = bad[0].tree_size
        last_good = max((s for s in good if s < first), default=0)
        signed = last_good
        kept = f"the checkpoint at size {last_good} still matches" if last_good else "no earlier checkpoint matches"
        if first == last_good + 1:
            where = f"record {first} differs ({kept})"
        else:
            where = (
                f"the first record that differs is one of records {last_good + 1}..{first}, signed together "
                f"({kept}); the private key's MACs would name it"
            )
        message = f"checkpoint at size {first} does not match the log: {where}"
        findings.append(_Finding(last_good + 1, message, exact=False))
    beyond = [cp.tree_size for cp in valid if cp.tree_size > size]
    if beyond:
        lost = _span(size + 1, beyond[-1], "record {} was deleted", "records {} were deleted")
        message = f"checkpoint at size {beyond[-1]} is beyond the end of the log ({size} records): {lost}"
        findings.append(_Finding(size + 1, message, exact=False))
    return findings, signed


def unsigned_problem(first: int, last: int) -> str:
    """What to say about records no signature covers, for a verifier without the private key."""
    records = _span(first, last, "record {} is", "records {} are")
    return (
        f"{UNSIGNED_PREFIX}{records} covered by no checkpoint signed with the trusted key: appended without the key, "
        "or after the last checkpoint (`cadencia audit checkpoint` signs a genuine tail after checking its MACs)"
    )


def _unsigned_finding(scan: _Scan, signed: int) -> _Finding | None:
    """Records after the last matching signature, when no MAC vouches for them."""
    size = len(scan.leaves)
    if signed >= size or scan.mac_check is not None:
        return None
    first = scan.seqs[signed]
    return _Finding(first, unsigned_problem(first, scan.seqs[-1]), exact=False)


def _ordered(findings: list[_Finding]) -> list[_Finding]:
    """Exact findings by seq, then span findings by seq, then findings about checkpoints alone."""
    exact = sorted((f for f in findings if f.exact and f.seq is not None), key=lambda f: f.seq or 0)
    spans = sorted((f for f in findings if not f.exact and f.seq is not None), key=lambda f: f.seq or 0)
    return exact + spans + [f for f in findings if f.seq is None]


def verify_log(
    records: Iterable[Sealed],
    checkpoints: Iterable[SignedCheckpoint],
    verifier: CheckpointVerifier,
    *,
    mac_check: MacCheck | None = None,
) -> VerifyReport:
    """Check records (in seq order) and checkpoints with only the trusted public key; never raises on tampering.

    With `mac_check` (from the private key) every record's MAC is checked too, which names the first record that
    differs even when an attacker recomputed all hashes after it.
    """
    scan = _Scan(mac_check=mac_check)
    for record in records:
        scan.add(record)
    findings: list[_Finding] = []
    if scan.suspect is not None:
        findings.append(_diagnose(scan, *scan.suspect))
    elif scan.finding is not None:
        findings.append(scan.finding)
    if scan.mac_finding is not None:
        findings.append(scan.mac_finding)
    unique = {cp.signature: cp for cp in reversed(list(checkpoints))}
    ordered = sorted(unique.values(), key=lambda cp: (cp.tree_size, cp.issued_at))
    size = len(scan.leaves)
    roots = merkle.tree_roots(scan.leaves, {size} | {cp.tree_size for cp in ordered if cp.tree_size <= size})
    signature_findings, valid = _signature_findings(ordered, verifier)
    checkpoint_findings, signed = _checkpoint_findings(valid, scan, roots)
    unsigned = _unsigned_finding(scan, signed)
    findings = _ordered(findings + checkpoint_findings + ([unsigned] if unsigned else []) + signature_findings)
    mac_records = size - signed if mac_check is not None and scan.mac_finding is None else 0
    return VerifyReport(
        ok=not findings,
        records=size,
        checkpoints_checked=len(ordered),
        first_bad_seq=findings[0].seq if findings else None,
        problem=findings[0].message if findings else None,
        problems=[f.message for f in findings],
        root_hash=roots[size].hex(),
        key_id=verifier.key_id,
        signed_records=signed,
        mac_records=mac_records,
    )
