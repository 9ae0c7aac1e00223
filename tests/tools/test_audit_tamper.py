"""Verify against an attacker with write access to the database: every kind of tampering is found and named."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cadencia.tools.audit import (
    AuditEvent,
    AuditKind,
    AuditLog,
    AuditRecord,
    CheckpointVerifier,
    load_public_key,
    public_key_hex,
    sign_checkpoint,
    verify_log,
)
from cadencia.tools.audit.records import seal
from cadencia.tools.audit.rows import record_to_row

UPDATE_ROW = (
    "UPDATE audit_records SET seq = :seq, payload = :payload, leaf_hash = :leaf_hash, prev_hash = :prev_hash, "
    "chain_hash = :chain_hash WHERE seq = :old_seq"
)
INSERT_ROW = (
    "INSERT INTO audit_records (seq, recorded_at, run_id, actor, kind, payload, leaf_hash, prev_hash, chain_hash) "
    "VALUES (:seq, :recorded_at, :run_id, :actor, :kind, :payload, :leaf_hash, :prev_hash, :chain_hash)"
)


def fixed_clock() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def log(db: Path, tmp_path: Path) -> Iterator[AuditLog]:
    opened = AuditLog.open(db, key_path=tmp_path / "audit-signing-key.pem", clock=fixed_clock)
    yield opened
    opened.close()


def fill(log: AuditLog, count: int, *, checkpoint_every: int | None = None) -> None:
    for i in range(count):
        log.append(run_id="run-7", actor="planner:heuristic", kind=AuditKind.PROPOSAL, payload={"i": i})
        if checkpoint_every and (i + 1) % checkpoint_every == 0:
            log.checkpoint()


def sql(db: Path, *statements: str) -> None:
    with sqlite3.connect(db) as raw:
        for statement in statements:
            raw.execute(statement)


def resealed(record: AuditRecord, *, seq: int | None = None, prev_hash: str | None = None) -> AuditRecord:
    return seal(
        seq=record.seq if seq is None else seq,
        recorded_at=record.recorded_at,
        prev_hash=record.prev_hash if prev_hash is None else prev_hash,
        run_id=record.run_id,
        actor=record.actor,
        kind=record.kind,
        payload=record.payload,
    )


def forged(seq: int, prev_hash: str) -> AuditRecord:
    return seal(
        seq=seq,
        recorded_at="2026-03-02T09:00:00.000000+00:00",
        prev_hash=prev_hash,
        run_id="run-7",
        actor="human:alice",
        kind=AuditKind.APPROVAL,
        payload={"decision": "approve"},
    )


def rewrite_consistently(log: AuditLog, db: Path, *, seq: int) -> None:
    """Change record `seq` and recompute every hash after it, as an attacker who knows the format would."""
    records = log.records()
    prev = records[seq - 2].chain_hash if seq > 1 else ""
    with sqlite3.connect(db) as raw:
        for record in records[seq - 1 :]:
            payload = {"i": -1} if record.seq == seq else record.payload
            new = resealed(record.model_copy(update={"payload": payload}), prev_hash=prev)
            raw.execute(UPDATE_ROW, {**record_to_row(new), "old_seq": record.seq})
            prev = new.chain_hash


def test_verify_names_the_edited_record(log: AuditLog, db: Path) -> None:
    fill(log, 10, checkpoint_every=5)
    sql(db, """UPDATE audit_records SET payload = '{"i":600}' WHERE seq = 7""")
    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 7
    assert report.problem == "record 7 was edited: its hash does not match its content"


def test_a_row_made_unreadable_is_reported_as_edited(log: AuditLog, db: Path) -> None:
    fill(log, 4)
    sql(db, "UPDATE audit_records SET kind = 'gossip', payload = 'not json' WHERE seq = 3")
    report = log.verify()
    assert report.problem == "record 3 was edited: its hash does not match its content"


def test_a_deleted_record_shows_as_a_seq_gap(log: AuditLog, db: Path) -> None:
    fill(log, 10)
    sql(db, "DELETE FROM audit_records WHERE seq = 5")
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (5, "record 5 is missing (seq jumps from 4 to 6)")


def test_several_deleted_records_are_named_as_a_range(log: AuditLog, db: Path) -> None:
    fill(log, 10)
    sql(db, "DELETE FROM audit_records WHERE seq BETWEEN 5 AND 7")
    assert log.verify().problem == "records 5..7 are missing (seq jumps from 4 to 8)"


def test_deleting_the_first_records_is_found(log: AuditLog, db: Path) -> None:
    fill(log, 10)
    sql(db, "DELETE FROM audit_records WHERE seq IN (1, 2)")
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (1, "records 1..2 are missing (seq starts at 3)")


def test_a_deletion_hidden_by_renumbering_is_still_found(log: AuditLog, db: Path) -> None:
    fill(log, 10)
    sql(db, "DELETE FROM audit_records WHERE seq = 5", "UPDATE audit_records SET seq = seq - 1 WHERE seq > 5")
    report = log.verify()
    assert report.first_bad_seq == 5
    assert report.problem == (
        "record 5 is missing: the records after it were renumbered (seq 5 holds what was written as record 6)"
    )


def test_an_inserted_record_with_valid_hashes_is_found(log: AuditLog, db: Path) -> None:
    fill(log, 10)
    fourth = log.records()[3]
    sql(
        db,
        "UPDATE audit_records SET seq = seq + 1000 WHERE seq >= 5",
        "UPDATE audit_records SET seq = seq - 999 WHERE seq > 1000",
    )
    with sqlite3.connect(db) as raw:
        raw.execute(INSERT_ROW, record_to_row(forged(5, fourth.chain_hash)))
    report = log.verify()
    assert report.first_bad_seq == 5
    assert report.problem == (
        "record 5 was inserted: the records after it were renumbered (seq 6 holds what was written as record 5)"
    )


def test_an_appended_record_that_does_not_chain_is_called_inserted(log: AuditLog, db: Path) -> None:
    fill(log, 8)
    with sqlite3.connect(db) as raw:
        raw.execute(INSERT_ROW, record_to_row(forged(9, "00" * 32)))
    report = log.verify()
    assert report.first_bad_seq == 9
    assert report.problem == "record 9 was inserted (or record 8 replaced): its prev_hash does not chain from record 8"


def test_records_slipped_between_chained_ones_are_named(log: AuditLog, db: Path) -> None:
    fill(log, 8)
    records = log.records()
    first = forged(5, records[3].chain_hash)
    second = forged(6, first.chain_hash)
    with sqlite3.connect(db) as raw:
        for record in reversed(records[4:]):
            raw.execute(UPDATE_ROW, {**record_to_row(resealed(record, seq=record.seq + 2)), "old_seq": record.seq})
        raw.execute(INSERT_ROW, record_to_row(first))
        raw.execute(INSERT_ROW, record_to_row(second))
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (5, "records 5..6 were inserted: record 7 chains from record 4")


@pytest.mark.parametrize(("a", "b"), [(5, 6), (2, 30)])
def test_swapped_records_are_reported_out_of_order(log: AuditLog, db: Path, a: int, b: int) -> None:
    fill(log, 40)
    sql(
        db,
        f"UPDATE audit_records SET seq = -1 WHERE seq = {a}",
        f"UPDATE audit_records SET seq = {a} WHERE seq = {b}",
        f"UPDATE audit_records SET seq = {b} WHERE seq = -1",
    )
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (a, f"records {a} and {b} are out of order")


def test_a_consistent_rewrite_is_caught_by_the_checkpoints(log: AuditLog, db: Path) -> None:
    fill(log, 16, checkpoint_every=4)
    rewrite_consistently(log, db, seq=10)
    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 9
    assert report.problem == (
        "checkpoint at size 12 does not match the log: the log was rewritten at or before record 12 "
        "(first difference after the last good checkpoint at size 8)"
    )


def test_a_rewrite_that_also_drops_stored_checkpoints_is_caught_by_external_ones(log: AuditLog, db: Path) -> None:
    fill(log, 12, checkpoint_every=6)
    kept_elsewhere = log.checkpoints()
    rewrite_consistently(log, db, seq=3)
    sql(db, "DELETE FROM audit_checkpoints")
    assert log.verify().ok, "without checkpoints a consistent rewrite is undetectable"
    report = log.verify(external_checkpoints=kept_elsewhere)
    assert report.checkpoints_checked == 2
    assert report.first_bad_seq == 1
    assert report.problem == (
        "checkpoint at size 6 does not match the log: the log was rewritten at or before record 6 "
        "(no earlier checkpoint matches)"
    )


def test_a_truncated_tail_is_caught_by_a_later_checkpoint(log: AuditLog, db: Path) -> None:
    fill(log, 12, checkpoint_every=12)
    sql(db, "DELETE FROM audit_records WHERE seq > 10")
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (
        11,
        "checkpoint at size 12 is beyond the end of the log (10 records): records 11..12 were deleted",
    )


def test_a_checkpoint_edited_to_match_a_rewrite_is_reported_forged(log: AuditLog, db: Path) -> None:
    fill(log, 8, checkpoint_every=8)
    rewrite_consistently(log, db, seq=2)
    sql(db, f"UPDATE audit_checkpoints SET root_hash = '{log.root()}'")
    report = log.verify()
    assert not report.ok and report.first_bad_seq is None
    assert report.problem == "checkpoint at size 8: signature invalid (forged)"


def test_a_checkpoint_signed_by_another_key_is_rejected(log: AuditLog, db: Path) -> None:
    fill(log, 6)
    intruder = sign_checkpoint(Ed25519PrivateKey.generate(), tree_size=6, root_hash=log.root())
    report = log.verify(external_checkpoints=[intruder])
    assert report.problem == (
        f"checkpoint at size 6 was signed by another key (key_id {intruder.key_id}, expected {report.key_id})"
    )


def test_verifying_against_a_pinned_public_key_exposes_a_replaced_signing_key(log: AuditLog, db: Path) -> None:
    fill(log, 5, checkpoint_every=5)
    assert log.signing_key is not None
    pinned = log.signing_key.public_key()
    log.signing_key = Ed25519PrivateKey.generate()
    sql(db, "DELETE FROM audit_checkpoints")
    log.checkpoint()
    assert log.verify().ok
    assert "was signed by another key" in (log.verify(public_key=pinned).problem or "")


def test_append_many_after_tampering_keeps_the_damage_visible(log: AuditLog, db: Path) -> None:
    fill(log, 5)
    sql(db, "DELETE FROM audit_records WHERE seq = 5")
    log.append_many([AuditEvent(run_id="run-8", actor="graph", kind=AuditKind.RUN, payload={})])
    assert log.verify().problem == "record 5 is missing (seq jumps from 4 to 6)"


def test_verify_log_needs_only_the_records_and_a_public_key(log: AuditLog) -> None:
    fill(log, 6, checkpoint_every=3)
    assert log.signing_key is not None
    verifier = CheckpointVerifier(load_public_key(public_key_hex(log.signing_key.public_key())))
    records = log.records()
    assert verify_log(records, log.checkpoints(), verifier).ok
    duplicated = verify_log([*records[:3], records[2], *records[3:]], [], verifier)
    assert (duplicated.first_bad_seq, duplicated.problem) == (3, "record 3 appears twice")
