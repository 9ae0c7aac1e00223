"""Verify against an attacker with write access to the database but not the key: every kind of tampering is found
and the first record that differs is named, on SQLite and PostgreSQL.

`log` checkpoints every 4 records. "With the key" is how `cadencia audit verify` runs in a workdir (the private
key checks each record's MAC); "public key only" is an auditor who holds nothing but the pinned public key.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.audit import (
    BACKENDS,
    INSERT_ROW,
    REWRITE_ROW,
    Backend,
    append_forged,
    backend_for,
    fill,
    forge_approval,
    open_log,
    opened_log,
    resign_checkpoints,
    rewrite_consistently,
    sealed,
    sql,
)

from cadencia.tools.audit import (
    AuditEvent,
    AuditIntegrityError,
    AuditKind,
    AuditLog,
    CheckpointVerifier,
    VerifyReport,
    load_public_key,
    public_key_hex,
    read_checkpoints,
    sign_checkpoint,
    verify_log,
)

MAC_MISMATCH = "does not match the MAC it was written with: it was forged, or changed with its hashes recomputed"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return backend_for(request.param, tmp_path)


@pytest.fixture
def log(backend: Backend, tmp_path: Path) -> Iterator[AuditLog]:
    with opened_log(backend, tmp_path / "audit-signing-key.pem", checkpoint_every=4) as opened:
        yield opened


def public_key_only(log: AuditLog, backend: Backend, tmp_path: Path, **options: object) -> VerifyReport:
    """Verify as an auditor holding only the pinned public key (no private key file at hand)."""
    assert log.signing_key is not None
    pinned = public_key_hex(log.signing_key.public_key())
    reader = open_log(backend, tmp_path / "no-private-key.pem", create_key=False)
    try:
        assert reader.signing_key is None
        return reader.verify(public_key=pinned, **options)  # type: ignore[arg-type]
    finally:
        reader.close()


def named(report: VerifyReport) -> tuple[int | None, str | None]:
    assert not report.ok
    return report.first_bad_seq, report.problem


def test_an_edited_record_is_named(log: AuditLog) -> None:
    fill(log, 10)
    sql(log, "UPDATE {records} SET payload = :payload WHERE seq = 7", payload='{"i":600}')
    assert named(log.verify()) == (7, "record 7 was edited: its hash does not match its content")


def test_a_row_made_unreadable_is_reported_as_edited(log: AuditLog) -> None:
    fill(log, 4)
    sql(log, "UPDATE {records} SET kind = 'gossip', payload = 'not json' WHERE seq = 3")
    assert named(log.verify()) == (3, "record 3 was edited: its hash does not match its content")


def test_a_deleted_record_shows_as_a_seq_gap(log: AuditLog) -> None:
    fill(log, 10)
    sql(log, "DELETE FROM {records} WHERE seq = 5")
    assert named(log.verify()) == (5, "record 5 is missing (seq jumps from 4 to 6)")


def test_several_deleted_records_are_named_as_a_range(log: AuditLog) -> None:
    fill(log, 10)
    sql(log, "DELETE FROM {records} WHERE seq BETWEEN 5 AND 7")
    assert named(log.verify()) == (5, "records 5..7 are missing (seq jumps from 4 to 8)")


def test_deleting_the_first_records_is_found(log: AuditLog) -> None:
    fill(log, 10)
    sql(log, "DELETE FROM {records} WHERE seq IN (1, 2)")
    assert named(log.verify()) == (1, "records 1..2 are missing (seq starts at 3)")


def test_a_deletion_hidden_by_renumbering_is_still_found(log: AuditLog) -> None:
    fill(log, 10)
    sql(log, "DELETE FROM {records} WHERE seq = 5")
    for seq in range(6, 11):
        sql(log, "UPDATE {records} SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    assert named(log.verify()) == (
        5,
        "record 5 is missing: the records after it were renumbered (seq 5 holds what was written as record 6)",
    )


def test_an_inserted_record_with_valid_hashes_is_found(log: AuditLog) -> None:
    fill(log, 10)
    fourth = log.records()[3]
    for seq in range(10, 4, -1):
        sql(log, "UPDATE {records} SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    sql(log, INSERT_ROW, **forge_approval(seq=5, prev_hash=fourth.chain_hash))
    assert named(log.verify()) == (
        5,
        "record 5 was inserted: the records after it were renumbered (seq 6 holds what was written as record 5)",
    )


def test_records_slipped_between_chained_ones_are_named(log: AuditLog) -> None:
    fill(log, 8)
    records = log.records()
    first = forge_approval(seq=5, prev_hash=records[3].chain_hash)
    second = forge_approval(seq=6, prev_hash=str(first["chain_hash"]))
    for record in reversed(records[4:]):
        moved = sealed(record, seq=record.seq + 2, prev_hash=record.prev_hash)
        sql(log, "DELETE FROM {records} WHERE seq = :seq", seq=record.seq)
        sql(log, INSERT_ROW, **moved)
    sql(log, INSERT_ROW, **first)
    sql(log, INSERT_ROW, **second)
    assert named(log.verify()) == (5, "records 5..6 were inserted: record 7 chains from record 4")


@pytest.mark.parametrize(("a", "b"), [(5, 6), (2, 30)])
def test_swapped_records_are_reported_out_of_order(log: AuditLog, a: int, b: int) -> None:
    fill(log, 40)
    sql(
        log,
        "UPDATE {records} SET seq = -1 WHERE seq = :a",
        "UPDATE {records} SET seq = :a WHERE seq = :b",
        "UPDATE {records} SET seq = :b WHERE seq = -1",
        a=a,
        b=b,
    )
    assert named(log.verify()) == (a, f"records {a} and {b} are out of order")


def test_a_forged_approval_appended_at_the_tail_is_named(log: AuditLog, backend: Backend, tmp_path: Path) -> None:
    fill(log, 10)
    log.checkpoint()
    forged = append_forged(log)
    assert forged == 11 and log.records()[-1].actor == "human:alice"
    assert named(log.verify()) == (11, f"record 11 {MAC_MISMATCH}")
    seq, problem = named(public_key_only(log, backend, tmp_path))
    assert seq == 11
    assert problem is not None and problem.startswith("not signed: record 11 is covered by no checkpoint")


def test_writers_refuse_to_chain_from_or_sign_a_forged_tail(log: AuditLog, backend: Backend, tmp_path: Path) -> None:
    fill(log, 3)
    append_forged(log)
    with pytest.raises(AuditIntegrityError, match="newest record \\(4\\) was not written with this log's key"):
        log.checkpoint()
    other_process = open_log(backend, tmp_path / "audit-signing-key.pem")
    with other_process, pytest.raises(AuditIntegrityError, match="refusing to chain from it"):
        other_process.append(run_id="run-8", actor="graph", kind=AuditKind.RUN, payload={})
    with pytest.raises(AuditIntegrityError):
        log.append(run_id="run-8", actor="graph", kind=AuditKind.RUN, payload={})
    assert log.size() == 4


def test_a_consistent_rewrite_is_named_exactly_with_the_key_and_by_its_signed_span_without(
    log: AuditLog, backend: Backend, tmp_path: Path
) -> None:
    fill(log, 16)
    assert [cp.tree_size for cp in log.checkpoints()] == [4, 8, 12, 16]
    rewritten = rewrite_consistently(log, seq=10)
    assert all(record.content_matches() for record in rewritten), "the attacker recomputed every hash"
    assert named(log.verify()) == (10, f"record 10 {MAC_MISMATCH}")
    assert named(public_key_only(log, backend, tmp_path)) == (
        9,
        "checkpoint at size 12 does not match the log: the first record that differs is one of records 9..12, "
        "signed together (the checkpoint at size 8 still matches); the private key's MACs would name it",
    )


def test_a_rewrite_that_also_drops_stored_checkpoints_is_caught_by_exported_ones(
    backend: Backend, tmp_path: Path
) -> None:
    exported = tmp_path / "elsewhere" / "checkpoints.jsonl"
    with opened_log(backend, tmp_path / "key.pem", checkpoint_every=6, export_path=exported) as log:
        fill(log, 12)
        rewrite_consistently(log, seq=3)
        sql(log, "DELETE FROM {checkpoints}")
        assert named(log.verify())[0] == 3
        kept_elsewhere = read_checkpoints(exported)
        assert [cp.tree_size for cp in kept_elsewhere] == [6, 12]
        report = public_key_only(log, backend, tmp_path, external_checkpoints=kept_elsewhere)
        assert report.checkpoints_checked == 2
        assert named(report) == (
            1,
            "checkpoint at size 6 does not match the log: the first record that differs is one of records 1..6, "
            "signed together (no earlier checkpoint matches); the private key's MACs would name it",
        )


def test_checkpoints_re_signed_with_another_key_do_not_hide_a_rewrite(
    log: AuditLog, backend: Backend, tmp_path: Path
) -> None:
    fill(log, 16)
    exported = log.checkpoints()
    rewrite_consistently(log, seq=10)
    intruder = Ed25519PrivateKey.generate()
    forged = resign_checkpoints(log, intruder)
    report = log.verify()
    assert named(report) == (10, f"record 10 {MAC_MISMATCH}")
    assert f"checkpoint at size 4 was signed by another key (key_id {forged[0].key_id}" in " ".join(report.problems)
    seq, problem = named(public_key_only(log, backend, tmp_path, external_checkpoints=exported))
    assert seq == 9
    assert problem is not None and problem.startswith("checkpoint at size 12 does not match the log")


def test_a_truncated_tail_is_caught_by_a_later_checkpoint(log: AuditLog) -> None:
    fill(log, 12)
    sql(log, "DELETE FROM {records} WHERE seq > 10")
    assert named(log.verify()) == (
        11,
        "checkpoint at size 12 is beyond the end of the log (10 records): records 11..12 were deleted",
    )


def test_a_checkpoint_edited_to_match_a_rewrite_is_reported_forged(log: AuditLog) -> None:
    fill(log, 8)
    rewrite_consistently(log, seq=2)
    sql(log, "UPDATE {checkpoints} SET root_hash = :root WHERE tree_size = 8", root=log.root())
    report = log.verify()
    assert named(report) == (2, f"record 2 {MAC_MISMATCH}")
    assert "checkpoint at size 8: signature invalid (forged)" in report.problems


def test_a_checkpoint_signed_by_another_key_is_rejected(log: AuditLog) -> None:
    fill(log, 6)
    intruder = sign_checkpoint(Ed25519PrivateKey.generate(), tree_size=6, root_hash=log.root())
    report = log.verify(external_checkpoints=[intruder])
    assert report.problem == (
        f"checkpoint at size 6 was signed by another key (key_id {intruder.key_id}, expected {report.key_id})"
    )


def test_verifying_against_a_pinned_public_key_exposes_a_replaced_signing_key(
    log: AuditLog, backend: Backend, tmp_path: Path
) -> None:
    fill(log, 5)
    assert log.signing_key is not None
    pinned = log.signing_key.public_key()
    replaced = tmp_path / "replaced.pem"
    with open_log(backend, replaced) as impostor:
        with pytest.raises(AuditIntegrityError, match="not written with this log's key"):
            impostor.append(run_id="run-9", actor="human:mallory", kind=AuditKind.APPROVAL, payload={})
        resign_checkpoints(impostor, impostor.signing_key)  # type: ignore[arg-type]
        report = impostor.verify(public_key=pinned)
        assert not report.ok
        assert "was signed by another key" in " ".join(report.problems)


def test_a_full_verify_also_checks_checkpoints_the_newest_one_makes_redundant(log: AuditLog) -> None:
    fill(log, 12)
    sql(log, "UPDATE {checkpoints} SET signature = :junk WHERE tree_size = 4", junk="00" * 64)
    assert log.verify().ok, "the checkpoint at 12 proves records 1..12 on its own"
    report = log.verify(full=True)
    assert (report.first_bad_seq, report.problem) == (None, "checkpoint at size 4: signature invalid (forged)")


def test_append_many_after_tampering_keeps_the_damage_visible(log: AuditLog) -> None:
    fill(log, 5)
    sql(log, "DELETE FROM {records} WHERE seq = 5")
    log.append_many([AuditEvent(run_id="run-8", actor="graph", kind=AuditKind.RUN, payload={})])
    assert named(log.verify()) == (5, "record 5 is missing (seq jumps from 4 to 6)")


def test_verify_log_needs_only_the_records_and_a_public_key(log: AuditLog) -> None:
    fill(log, 6)
    log.checkpoint()
    assert log.signing_key is not None
    verifier = CheckpointVerifier(load_public_key(public_key_hex(log.signing_key.public_key())))
    records = log.records()
    assert verify_log(records, log.checkpoints(), verifier).ok
    duplicated = verify_log([*records[:3], records[2], *records[3:]], [], verifier)
    assert (duplicated.first_bad_seq, duplicated.problem) == (3, "record 3 appears twice")


def test_rewritten_rows_keep_the_payload_text_the_attacker_wrote(log: AuditLog) -> None:
    fill(log, 4)
    sql(log, REWRITE_ROW, **sealed(log.records()[3], seq=4, prev_hash=log.records()[2].chain_hash, payload={"i": 9}))
    assert log.records()[3].payload == {"i": 9}
    assert named(log.verify()) == (4, f"record 4 {MAC_MISMATCH}")


def test_a_stored_checkpoint_made_malformed_is_reported_not_crashed_on(log: AuditLog) -> None:
    fill(log, 8)
    sql(log, "UPDATE {checkpoints} SET root_hash = 'not hex', key_id = 'x' WHERE tree_size = 8")
    report = log.verify()
    assert not report.ok and report.first_bad_seq is None
    assert report.problems == [f"checkpoint at size 8 was signed by another key (key_id x, expected {report.key_id})"]
