"""Verification of a whole log: record hashes, the hash chain, seq order and signed checkpoints, in one pass.

Findings are human sentences naming the first bad record; record-level findings come before checkpoint ones
because they are the more precise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

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


@dataclass(frozen=True)
class _Finding:
    seq: int | None
    message: str


def _span(first: int, last: int, one: str, many: str) -> str:
    return one.format(first) if first == last else many.format(f"{first}..{last}")


@dataclass
class _Scan:
    """Everything kept from one streaming pass over the records."""

    leaves: list[bytes] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    prevs: list[str] = field(default_factory=list)
    position_by_chain: dict[str, int] = field(default_factory=dict)
    mismatched: dict[int, Sealed] = field(default_factory=dict)
    last_chain: str = ""
    finding: _Finding | None = None
    suspect: tuple[int, Sealed] | None = None

    def add(self, record: Sealed) -> None:
        position = len(self.leaves)
        entry = record.entry()
        self.leaves.append(merkle.leaf_hash(entry))
        content_ok = chain_hex(entry) == record.chain_hash and self.leaves[-1].hex() == record.leaf_hash
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


def _root_findings(valid: list[SignedCheckpoint], roots: dict[int, bytes], size: int) -> list[_Finding]:
    """Findings for signed checkpoints whose root differs from the log's tree of that size, or lies beyond it."""
    findings: list[_Finding] = []
    within = [cp for cp in valid if cp.tree_size <= size]
    good = [cp.tree_size for cp in within if roots[cp.tree_size].hex() == cp.root_hash]
    bad = [cp for cp in within if roots[cp.tree_size].hex() != cp.root_hash]
    if bad:
        first = bad[0].tree_size
        last_good = max((s for s in good if s < first), default=0)
        detail = f"first difference after the last good checkpoint at size {last_good}" if last_good else None
        message = (
            f"checkpoint at size {first} does not match the log: the log was rewritten at or before record {first} "
            f"({detail or 'no earlier checkpoint matches'})"
        )
        findings.append(_Finding(last_good + 1, message))
    beyond = [cp.tree_size for cp in valid if cp.tree_size > size]
    if beyond:
        lost = _span(size + 1, beyond[-1], "record {} was deleted", "records {} were deleted")
        message = f"checkpoint at size {beyond[-1]} is beyond the end of the log ({size} records): {lost}"
        findings.append(_Finding(size + 1, message))
    return findings


def verify_log(
    records: Iterable[Sealed], checkpoints: Iterable[SignedCheckpoint], verifier: CheckpointVerifier
) -> VerifyReport:
    """Check records (in seq order) and checkpoints against the trusted key; never raises on tampering."""
    scan = _Scan()
    for record in records:
        scan.add(record)
    findings: list[_Finding] = []
    if scan.suspect is not None:
        findings.append(_diagnose(scan, *scan.suspect))
    elif scan.finding is not None:
        findings.append(scan.finding)
    unique = {cp.signature: cp for cp in reversed(list(checkpoints))}
    ordered = sorted(unique.values(), key=lambda cp: (cp.tree_size, cp.issued_at))
    size = len(scan.leaves)
    roots = merkle.tree_roots(scan.leaves, {size} | {cp.tree_size for cp in ordered if cp.tree_size <= size})
    signature_findings, valid = _signature_findings(ordered, verifier)
    findings += signature_findings + _root_findings(valid, roots, size)
    return VerifyReport(
        ok=not findings,
        records=size,
        checkpoints_checked=len(ordered),
        first_bad_seq=findings[0].seq if findings else None,
        problem=findings[0].message if findings else None,
        problems=[f.message for f in findings],
        root_hash=roots[size].hex(),
        key_id=verifier.key_id,
    )
