"""Concurrent appenders on one SQLite file never share or skip a seq, and the chain stays intact."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from multiprocessing.synchronize import Barrier as SyncBarrier
from pathlib import Path

from cadencia.tools.audit import AuditEvent, AuditKind, AuditLog


def append_from_process(db: Path, key: Path, name: str, count: int, start: SyncBarrier) -> None:
    """Run in a forked child: its own engine and connections, released together with the other child."""
    with AuditLog.open(db, key_path=key) as log:
        start.wait()
        for i in range(count):
            log.append(run_id=name, actor="graph", kind=AuditKind.OBSERVATION, payload={"i": i})


def assert_contiguous_and_intact(log: AuditLog, expected: int) -> None:
    records = log.records()
    assert [r.seq for r in records] == list(range(1, expected + 1))
    assert all(r.prev_hash == p.chain_hash for p, r in itertools.pairwise(records))
    assert log.verify().ok


def test_two_threads_with_their_own_connections_append_without_duplicating_a_seq(tmp_path: Path) -> None:
    key = tmp_path / "audit-signing-key.pem"
    logs = [AuditLog.open(tmp_path / "audit.db", key_path=key) for _ in range(2)]
    barrier = threading.Barrier(2)

    def append(log: AuditLog, name: str) -> None:
        barrier.wait()
        for i in range(60):
            log.append(run_id=name, actor="graph", kind=AuditKind.OBSERVATION, payload={"i": i})
        log.append_many(
            AuditEvent(run_id=name, actor="graph", kind=AuditKind.VERDICT, payload={"j": j}) for j in range(20)
        )

    threads = [threading.Thread(target=append, args=(log, f"run-{n}")) for n, log in enumerate(logs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert_contiguous_and_intact(logs[0], 160)
        assert len(logs[1].records(run_id="run-1")) == 80
    finally:
        for log in logs:
            log.close()


def test_two_processes_appending_at_once_never_duplicate_a_seq(tmp_path: Path) -> None:
    db, key = tmp_path / "audit.db", tmp_path / "audit-signing-key.pem"
    AuditLog.open(db, key_path=key).close()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    workers = [context.Process(target=append_from_process, args=(db, key, f"proc-{n}", 100, start)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    with AuditLog.open(db, key_path=key) as log:
        assert_contiguous_and_intact(log, 200)
        assert {len(log.records(run_id=f"proc-{n}")) for n in range(2)} == {100}
