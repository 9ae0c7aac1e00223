"""Signed records: automatic checkpoints, the export hook, signing at close, and what a public key alone proves."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cadencia.tools.audit import (
    AuditEvent,
    AuditKind,
    AuditLog,
    CheckpointExport,
    SignedCheckpoint,
    read_checkpoints,
    verify_checkpoint,
)
from cadencia.tools.audit.encoding import encode_json
from cadencia.tools.audit.records import AuditRecord, entry_bytes, trusted_record
from cadencia.tools.store.canonical import canonical_json


def fixed_clock() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def open_log(tmp_path: Path, **options: object) -> AuditLog:
    return AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "key.pem", clock=fixed_clock, **options)  # type: ignore[arg-type]


def append(log: AuditLog, count: int) -> None:
    for i in range(count):
        log.append(run_id="run-1", actor="token:ops-bot", kind=AuditKind.EXECUTION, payload={"i": i})


def test_a_checkpoint_is_signed_every_n_records_and_appended_to_the_export(tmp_path: Path) -> None:
    exported = tmp_path / "vault" / "checkpoints.jsonl"
    with open_log(tmp_path, checkpoint_every=3, export_path=exported) as log:
        append(log, 7)
        stored = log.checkpoints()
        assert [cp.tree_size for cp in stored] == [3, 6]
        assert read_checkpoints(exported) == stored
        assert log.signing_key is not None
        assert all(verify_checkpoint(cp, log.signing_key.public_key()) for cp in stored)
        assert stored[-1].chain_hash == log.records()[5].chain_hash
        log.checkpoint()
        assert [cp.tree_size for cp in read_checkpoints(exported)] == [3, 6, 7]


def test_a_batch_is_signed_once_when_it_crosses_the_interval(tmp_path: Path) -> None:
    with open_log(tmp_path, checkpoint_every=4) as log:
        log.append_many(AuditEvent(run_id="r", actor="graph", kind=AuditKind.VERDICT) for _ in range(10))
        assert [cp.tree_size for cp in log.checkpoints()] == [10]
        assert log.checkpoints()[0].root_hash == log.root()


def test_closing_the_log_signs_what_it_appended(tmp_path: Path) -> None:
    exported = tmp_path / "checkpoints.jsonl"
    with open_log(tmp_path, checkpoint_every=None, export_path=exported) as log:
        append(log, 5)
        assert log.checkpoints() == []
    assert [cp.tree_size for cp in read_checkpoints(exported)] == [5]


def test_a_public_key_alone_does_not_vouch_for_records_after_the_last_checkpoint(tmp_path: Path) -> None:
    with open_log(tmp_path, checkpoint_every=4) as log:
        append(log, 6)
        assert log.signing_key is not None
        public = log.signing_key.public_key()
        with_key = log.verify()
        assert with_key.ok and (with_key.signed_records, with_key.mac_records) == (4, 2)
        reader = AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "none.pem", create_key=False)
        try:
            tail = reader.verify(public_key=public)
            assert not tail.ok and tail.unsigned_only and tail.first_bad_seq == 5
            log.checkpoint()
            signed = reader.verify(public_key=public)
            assert signed.ok and (signed.signed_records, signed.mac_records) == (6, 0)
        finally:
            reader.close()


def test_the_fast_and_the_full_verification_agree_on_an_intact_log(tmp_path: Path) -> None:
    with open_log(tmp_path, checkpoint_every=5) as log:
        append(log, 23)
        fast, full = log.verify(), log.verify(full=True)
        assert fast.ok and full.ok
        assert (fast.records, fast.signed_records) == (full.records, full.signed_records) == (23, 20)
        assert fast.root_hash == full.root_hash
        assert fast.root_hash == log.root()


def test_an_empty_log_verifies_and_can_be_signed(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        assert log.verify().ok and log.verify().records == 0
        assert log.checkpoint().tree_size == 0
        assert log.verify().ok


def test_two_writers_chain_and_sign_each_others_records(tmp_path: Path) -> None:
    first, second = open_log(tmp_path, checkpoint_every=3), open_log(tmp_path, checkpoint_every=3)
    try:
        for i in range(5):
            first.append(run_id="a", actor="graph", kind=AuditKind.RUN, payload={"i": i})
            second.append(run_id="b", actor="graph", kind=AuditKind.RUN, payload={"i": i})
        assert [r.seq for r in first.records()] == list(range(1, 11))
        report = first.verify(full=True)
        assert report.ok and (report.signed_records, report.mac_records) == (9, 1), report.problems
        assert [cp.tree_size for cp in first.checkpoints()] == [3, 6, 9]
    finally:
        first.close()
        second.close()
    with open_log(tmp_path) as log:
        assert log.checkpoints()[-1].tree_size == 10


def test_a_failing_export_does_not_fail_the_append_and_catches_up_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the export directory should be")
    export = CheckpointExport(blocked / "checkpoints.jsonl")
    with open_log(tmp_path, checkpoint_every=2, on_checkpoint=export) as log, caplog.at_level(logging.WARNING):
        append(log, 4)
        assert log.size() == 4 and len(export.backlog) == 2
        assert "could not export 2 audit checkpoint(s)" in caplog.text
        blocked.unlink()
        blocked.mkdir()
        append(log, 2)
    assert [cp.tree_size for cp in read_checkpoints(blocked / "checkpoints.jsonl")][:3] == [2, 4, 6]


def test_a_payload_that_is_not_json_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        with pytest.raises(ValueError, match="must be a JSON object"):
            log.append(run_id="r", actor="graph", kind=AuditKind.RUN, payload={"when": datetime.now(UTC)})  # type: ignore[dict-item]
        with pytest.raises(ValueError, match="not valid Unicode"):
            log.append(run_id="r", actor="graph", kind=AuditKind.RUN, payload={"text": "\ud800"})
        with pytest.raises(ValueError, match="run_id and actor"):
            log.append(run_id=7, actor="graph", kind=AuditKind.RUN)  # type: ignore[arg-type]
        assert log.size() == 0
        log.append(run_id="r", actor="graph", kind=AuditKind.RUN)
        assert log.verify().ok


@pytest.mark.parametrize(
    "text", ["plain", 'quote " and \\ backslash', "tab\tnew\nline\x01", "é ü 漢字 🙂", "\u2028", ""]
)
def test_entries_are_the_canonical_json_of_their_fields(text: str) -> None:
    fields = {"seq": 3, "recorded_at": "2026-03-02T09:00:00+00:00", "run_id": text, "actor": text, "kind": "run"}
    payload = {"z": text, "a": [1, 2.5, None, True], text: {"nested": text}}
    expected = canonical_json({**fields, "payload": payload, "prev_hash": "ab" * 32}).encode()
    assert entry_bytes(**fields, payload=payload, prev_hash="ab" * 32) == expected  # type: ignore[arg-type]
    assert encode_json(payload) == canonical_json(payload)


def test_trusted_records_equal_validated_ones() -> None:
    fields = {
        "seq": 1,
        "recorded_at": "2026-03-02T09:00:00.000000+00:00",
        "run_id": "r",
        "actor": "graph",
        "kind": AuditKind.RUN,
        "payload": {"a": [1]},
        "leaf_hash": "ab" * 32,
        "prev_hash": "",
        "chain_hash": "cd" * 32,
    }
    trusted, validated = trusted_record(**fields), AuditRecord.model_validate(fields)  # type: ignore[arg-type]
    assert trusted == validated
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert trusted.model_copy(update={"seq": 2}).seq == 2
    with pytest.raises(ValueError):
        trusted.seq = 5  # type: ignore[misc]


def test_checkpoints_from_before_signed_records_still_verify() -> None:
    legacy = {
        "tree_size": 1,
        "root_hash": "ab" * 32,
        "issued_at": "2026-01-01T00:00:00+00:00",
        "key_id": "0" * 16,
        "signature": "00",
    }
    checkpoint = SignedCheckpoint.model_validate(legacy)
    assert checkpoint.chain_hash is None
    assert json.loads(checkpoint.signed_bytes()) == {k: v for k, v in legacy.items() if k != "signature"}
