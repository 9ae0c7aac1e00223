"""Logs written before records were signed: readable and verifiable, refused for appends until `migrate` signs them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.audit import BACKENDS, Backend, backend_for, fixed_clock, open_log, rewrite_consistently, sql
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, create_engine, insert
from typer.testing import CliRunner

from cadencia.servers.audit_cli import audit_app
from cadencia.tools.audit import (
    AuditIntegrityError,
    AuditKind,
    AuditLog,
    LegacyLogError,
    entry_bytes,
    load_or_create_key,
    migrate,
    sign_checkpoint,
)
from cadencia.tools.audit.merkle import leaf_hash, tree_root
from cadencia.tools.audit.schema import normalize_url


def legacy_tables(prefix: str) -> MetaData:
    """The audit tables as the first schema created them (no MAC, checkpoints without chain or frontier)."""
    metadata = MetaData()
    Table(
        f"{prefix}_records",
        metadata,
        Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False),
        *(Column(name, String(), nullable=False) for name in ("recorded_at", "run_id", "actor", "kind")),
        Column("payload", Text(), nullable=False),
        *(Column(name, String(64), nullable=False) for name in ("leaf_hash", "prev_hash", "chain_hash")),
    )
    Table(
        f"{prefix}_checkpoints",
        metadata,
        Column("id", Integer(), primary_key=True, autoincrement=True),
        Column("tree_size", BigInteger(), nullable=False),
        *(Column(name, String(), nullable=False) for name in ("root_hash", "issued_at", "key_id", "signature")),
    )
    Table(
        f"{prefix}_head",
        metadata,
        Column("id", Integer(), primary_key=True, autoincrement=False),
        Column("seq", BigInteger(), nullable=False),
        Column("chain_hash", String(64), nullable=False),
    )
    return metadata


def write_legacy_log(backend: Backend, key_path: Path, *, records: int, checkpoint_at: int) -> None:
    """A log as an earlier Cadencia left it: chained records and one root-only checkpoint."""
    key = load_or_create_key(key_path)
    metadata = legacy_tables(backend.prefix)
    engine = create_engine(normalize_url(backend.url))
    rows, prev = [], ""
    for seq in range(1, records + 1):
        fields = {"recorded_at": "2025-11-02T09:00:00.000000+00:00", "run_id": "old", "actor": "graph", "kind": "run"}
        entry = entry_bytes(seq=seq, prev_hash=prev, payload={"n": seq}, **fields)
        chain = hashlib.sha256(entry).hexdigest()
        rows.append({"seq": seq, **fields, "payload": f'{{"n":{seq}}}', "prev_hash": prev, "chain_hash": chain})
        rows[-1]["leaf_hash"] = leaf_hash(entry).hex()
        prev = chain
    leaves = [bytes.fromhex(str(row["leaf_hash"])) for row in rows]
    checkpoint = sign_checkpoint(key, tree_size=checkpoint_at, root_hash=tree_root(leaves[:checkpoint_at]).hex())
    with engine.begin() as conn:
        metadata.create_all(conn)
        tables = metadata.tables
        conn.execute(insert(tables[f"{backend.prefix}_records"]), rows)
        conn.execute(
            insert(tables[f"{backend.prefix}_checkpoints"]).values(**checkpoint.model_dump(exclude={"chain_hash"}))
        )
        conn.execute(insert(tables[f"{backend.prefix}_head"]).values(id=1, seq=records, chain_hash=prev))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    chosen = backend_for(request.param, tmp_path)
    yield chosen
    if request.param == "postgres":
        engine = create_engine(normalize_url(chosen.url))
        legacy_tables(chosen.prefix).drop_all(engine)
        engine.dispose()


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "audit-signing-key.pem"


def test_an_old_log_reads_and_verifies_but_refuses_appends_until_migrated(backend: Backend, key_path: Path) -> None:
    write_legacy_log(backend, key_path, records=5, checkpoint_at=3)
    with open_log(backend, key_path) as log:
        assert not log.current
        assert [r.seq for r in log.records()] == [1, 2, 3, 4, 5]
        report = log.verify()
        assert (report.signed_records, report.first_bad_seq, report.unsigned_only) == (3, 4, True)
        with pytest.raises(LegacyLogError, match="cadencia audit migrate"):
            log.append(run_id="new", actor="graph", kind=AuditKind.RUN)
        with pytest.raises(LegacyLogError):
            log.checkpoint()


def test_migration_signs_an_old_log_that_verifies_and_appends_resume(backend: Backend, key_path: Path) -> None:
    write_legacy_log(backend, key_path, records=5, checkpoint_at=3)
    with open_log(backend, key_path, checkpoint_every=2) as log:
        done = migrate(log)
        assert (done.records, done.checkpoints_checked, done.checkpoint.tree_size) == (5, 1, 5)
        assert log.verify().ok and log.verify().signed_records == 5
        log.append(run_id="new", actor="graph", kind=AuditKind.RUN, payload={"after": "migration"})
        log.append(run_id="new", actor="graph", kind=AuditKind.RUN, payload={"after": "migration"})
        assert log.checkpoints()[-1].tree_size == 7
        assert log.verify(full=True).ok
        rewrite_consistently(log, seq=2)
        assert log.verify().first_bad_seq == 2, "old records are MAC'd from the migration on"
    with open_log(backend, key_path) as reopened:
        assert reopened.current


def test_migration_refuses_a_log_that_does_not_verify_and_changes_nothing(backend: Backend, key_path: Path) -> None:
    write_legacy_log(backend, key_path, records=5, checkpoint_at=5)
    with open_log(backend, key_path) as log:
        sql(log, "UPDATE {records} SET actor = 'human:mallory' WHERE seq = 2")
        with pytest.raises(
            AuditIntegrityError, match="refusing to sign a log that does not verify: record 2 was edited"
        ):
            migrate(log)
    with open_log(backend, key_path) as log:
        assert not log.current


def test_the_migrate_command_checks_and_signs_a_workdir(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    workdir.mkdir()
    write_legacy_log(
        Backend(url=str(workdir / "audit.db"), prefix="audit"),
        workdir / "audit-signing-key.pem",
        records=4,
        checkpoint_at=4,
    )
    runner = CliRunner()
    result = runner.invoke(audit_app, ["migrate", "--workdir", str(workdir)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "checked 4 records against 1 checkpoints" in result.output
    again = runner.invoke(audit_app, ["migrate", "--workdir", str(workdir)])
    assert again.exit_code == 2 and "nothing to migrate" in again.output
    assert runner.invoke(audit_app, ["verify", "--workdir", str(workdir)]).exit_code == 0
    with AuditLog.open(workdir / "audit.db", key_path=workdir / "audit-signing-key.pem", clock=fixed_clock) as log:
        log.append(run_id="new", actor="graph", kind=AuditKind.RUN)
