"""The audit log on PostgreSQL (CADENCIA_TEST_PG_URL): concurrent appends, tamper detection, checkpoints, proofs."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cadencia.tools.audit import AuditKind, AuditLog, check_inclusion

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")

pytestmark = pytest.mark.postgres


@pytest.fixture
def prefix() -> str:
    """A unique table prefix, so parallel runs never share state."""
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test to run PostgreSQL tests")
    return f"audit_t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def pg_log(prefix: str, tmp_path: Path) -> Iterator[AuditLog]:
    """A log in its own tables, dropped afterwards."""
    assert PG_URL is not None
    log = AuditLog.open(PG_URL, key_path=tmp_path / "audit-signing-key.pem", table_prefix=prefix)
    try:
        yield log
    finally:
        log.tables.metadata.drop_all(log.engine)
        log.close()


def test_postgres_log_serializes_concurrent_appends_and_catches_tampering(
    pg_log: AuditLog, prefix: str, tmp_path: Path
) -> None:
    assert PG_URL is not None
    assert pg_log.engine.dialect.name == "postgresql" and pg_log.engine.dialect.driver == "psycopg"
    other = AuditLog.open(PG_URL, key_path=tmp_path / "audit-signing-key.pem", table_prefix=prefix)
    barrier = threading.Barrier(2)

    def append(log: AuditLog, name: str) -> None:
        barrier.wait()
        for i in range(25):
            log.append(run_id=name, actor="graph", kind=AuditKind.EXECUTION, payload={"i": i, "email": "a@b.co"})

    threads = [threading.Thread(target=append, args=(log, f"run-{n}")) for n, log in enumerate((pg_log, other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()

    records = pg_log.records()
    assert [r.seq for r in records] == list(range(1, 51))
    assert all(r.payload["email"] == "[redacted:email]" for r in records)
    signed = pg_log.checkpoint()
    assert signed.tree_size == 50
    proof = pg_log.prove(33)
    assert check_inclusion(proof) and pg_log.verify_inclusion(proof, checkpoint=signed)
    assert pg_log.verify().ok

    with pg_log.engine.begin() as conn:
        edit = text(f"UPDATE {pg_log.tables.records.name} SET payload = :payload WHERE seq = 21")
        conn.execute(edit, {"payload": '{"i":0}'})
    report = pg_log.verify()
    assert (report.first_bad_seq, report.problem) == (21, "record 21 was edited: its hash does not match its content")
