"""AuditLog on SQLite: appends, reads, checkpoints and proofs on an untouched log."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from cadencia.tools.audit import (
    AuditError,
    AuditEvent,
    AuditKind,
    AuditLog,
    RecordNotFound,
    check_consistency,
    check_inclusion,
    read_checkpoints,
    verify_checkpoint,
)
from cadencia.tools.audit.merkle import leaf_hash, tree_root
from cadencia.tools.audit.rows import StoredRecord
from cadencia.tools.audit.schema import audit_tables, normalize_url


def fixed_clock() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    opened = AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "audit-signing-key.pem", clock=fixed_clock)
    yield opened
    opened.close()


def fill(log: AuditLog, count: int, *, start: int = 0) -> None:
    log.append_many(
        AuditEvent(run_id=f"run-{i % 3}", actor="planner:heuristic", kind=AuditKind.PROPOSAL, payload={"i": i})
        for i in range(start, start + count)
    )


def test_appends_get_contiguous_seqs_and_chain_to_each_other(log: AuditLog) -> None:
    first = log.append(run_id="run-1", actor="graph", kind=AuditKind.RUN, payload={"event": "start"})
    second = log.append(run_id="run-1", actor="human:alice", kind="approval", payload={"decision": "approve"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == "" and second.prev_hash == first.chain_hash
    assert first.recorded_at == "2026-03-02T09:00:00.000000+00:00"
    assert second.kind is AuditKind.APPROVAL


def test_the_hashes_cover_the_canonical_json_of_the_entry(log: AuditLog) -> None:
    record = log.append(run_id="r", actor="graph", kind=AuditKind.OBSERVATION, payload={"b": "é", "a": [1, 2]})
    entry = (
        '{"actor":"graph","kind":"observation","payload":{"a":[1,2],"b":"é"},"prev_hash":"",'
        '"recorded_at":"2026-03-02T09:00:00.000000+00:00","run_id":"r","seq":1}'
    ).encode()
    assert record.entry() == entry
    assert record.chain_hash == hashlib.sha256(entry).hexdigest()
    assert record.leaf_hash == hashlib.sha256(b"\x00" + entry).hexdigest()
    assert record.content_matches()


def test_payloads_are_redacted_before_they_are_hashed_or_stored(log: AuditLog, tmp_path: Path) -> None:
    record = log.append(
        run_id="r", actor="graph", kind=AuditKind.EXECUTION, payload={"email": "ana@example.com", "id": "C-0000123"}
    )
    assert record.payload == {"email": "[redacted:email]", "id": "C-0000123"}
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        stored = raw.execute("SELECT payload FROM audit_records").fetchone()[0]
    assert "ana@" not in stored and json.loads(stored) == record.payload
    assert log.verify().ok


def test_an_unknown_kind_is_refused(log: AuditLog) -> None:
    with pytest.raises(ValueError):
        log.append(run_id="r", actor="graph", kind="gossip", payload={})


def test_records_filter_by_run_and_since_seq_across_batches(log: AuditLog) -> None:
    log.batch_size = 4
    fill(log, 30)
    assert [r.seq for r in log.records()] == list(range(1, 31))
    assert [r.seq for r in log.records(run_id="run-1")] == list(range(2, 31, 3))
    assert [r.seq for r in log.records(since_seq=25)] == [26, 27, 28, 29, 30]
    assert [r.seq for r in log.records(run_id="run-0", since_seq=20)] == [22, 25, 28]
    assert log.size() == 30


def test_the_root_is_the_merkle_head_of_every_leaf(log: AuditLog) -> None:
    fill(log, 7)
    leaves = [leaf_hash(r.entry()) for r in log.records()]
    assert log.root() == tree_root(leaves).hex()


def test_a_checkpoint_signs_the_current_head_and_is_stored(log: AuditLog, tmp_path: Path) -> None:
    fill(log, 5)
    first = log.checkpoint()
    fill(log, 3, start=5)
    second = log.checkpoint()
    assert (first.tree_size, second.tree_size) == (5, 8)
    assert second.root_hash == log.root()
    assert log.checkpoints() == [first, second]
    assert log.signing_key is not None and verify_checkpoint(second, log.signing_key.public_key())
    exported = tmp_path / "elsewhere" / "checkpoints.jsonl"
    assert log.export_checkpoints(exported) == 2
    assert read_checkpoints(exported) == [first, second]


def test_the_log_verifies_with_its_checkpoints(log: AuditLog) -> None:
    fill(log, 9)
    log.checkpoint()
    fill(log, 4, start=9)
    report = log.verify()
    assert report.ok and report.problem is None and report.first_bad_seq is None
    assert (report.records, report.checkpoints_checked) == (13, 1)
    assert report.root_hash == log.root()


def test_every_record_has_an_inclusion_proof_that_verifies(log: AuditLog) -> None:
    fill(log, 11)
    signed = log.checkpoint()
    for seq in range(1, 12):
        proof = log.prove(seq)
        assert check_inclusion(proof)
        assert log.verify_inclusion(proof, checkpoint=signed)
    old = log.prove(3, tree_size=6)
    assert old.tree_size == 6 and log.verify_inclusion(old)
    assert not log.verify_inclusion(old, checkpoint=signed)


def test_a_proof_stops_verifying_once_its_record_is_edited(log: AuditLog, tmp_path: Path) -> None:
    fill(log, 6)
    proof = log.prove(4)
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        raw.execute("""UPDATE audit_records SET payload = '{"i":40}' WHERE seq = 4""")
    assert check_inclusion(proof)
    assert not log.verify_inclusion(proof)
    assert not check_inclusion(proof.model_copy(update={"seq": 5}))


def test_proving_a_record_the_log_does_not_hold_is_refused(log: AuditLog) -> None:
    fill(log, 3)
    with pytest.raises(RecordNotFound):
        log.prove(4)
    with pytest.raises(RecordNotFound):
        log.prove(2, tree_size=9)


def test_an_earlier_checkpoint_is_provably_a_prefix_of_a_later_one(log: AuditLog) -> None:
    fill(log, 5)
    old = log.checkpoint()
    fill(log, 9, start=5)
    new = log.checkpoint()
    proof = log.prove_consistency(old.tree_size, new.tree_size)
    assert (proof.old_root, proof.new_root) == (old.root_hash, new.root_hash)
    assert check_consistency(proof)
    assert not check_consistency(proof.model_copy(update={"old_root": new.root_hash}))


def test_a_checkpoint_signs_what_was_written_not_what_an_attacker_edited(log: AuditLog, tmp_path: Path) -> None:
    fill(log, 4)
    written = log.root()
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        raw.execute("""UPDATE audit_records SET payload = '{"i":40}' WHERE seq = 2""")
    assert log.checkpoint().root_hash == written
    assert log.verify().problem == "record 2 was edited: its hash does not match its content"


def test_a_log_opened_by_url_without_creating_a_key_reads_but_cannot_sign(log: AuditLog, tmp_path: Path) -> None:
    fill(log, 2)
    log.checkpoint()
    reader = AuditLog.open(f"sqlite:///{tmp_path / 'audit.db'}", key_path=tmp_path / "absent.pem", create_key=False)
    try:
        assert reader.size() == 2 and not (tmp_path / "absent.pem").exists()
        with pytest.raises(AuditError):
            reader.checkpoint()
        with pytest.raises(AuditError, match="opened without its signing key"):
            reader.append(run_id="r", actor="graph", kind=AuditKind.RUN)
        assert log.signing_key is not None
        assert reader.verify(public_key=log.signing_key.public_key()).ok
    finally:
        reader.close()


def test_urls_and_paths_name_the_right_database(tmp_path: Path) -> None:
    assert (
        normalize_url("postgresql://postgres@127.0.0.1:5432/test")
        == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_each_log_has_its_own_table_metadata() -> None:
    first, second = audit_tables(), audit_tables("other")
    assert first.metadata is not second.metadata
    assert sorted(first.metadata.tables) == ["audit_checkpoints", "audit_head", "audit_records"]
    assert "other_records" in second.metadata.tables


def test_raw_rows_and_validated_records_hash_the_same_entry(log: AuditLog) -> None:
    assert StoredRecord._fields == tuple(log.tables.records.c.keys())
    record = log.append(run_id="r", actor="graph", kind=AuditKind.ERROR, payload={"msg": 'naïve "quote" \n'})
    with log.engine.connect() as conn:
        row = conn.execute(select(log.tables.records)).one()
    assert StoredRecord.of(row).entry() == record.entry()
