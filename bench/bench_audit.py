"""Audit log throughput: redacted, hashed, chained appends vs plain INSERTs of the same rows; verify time.

Usage: python bench/bench_audit.py [--records 20000] [--batch 500] [--big 100000] [--url postgresql://…]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from pydantic import JsonValue
from sqlalchemy import Engine, insert

from cadencia.tools.audit import AuditEvent, AuditKind, AuditLog
from cadencia.tools.audit.schema import AuditTables, audit_tables, create_tables, open_engine, writing
from cadencia.tools.store.canonical import canonical_json

Row = dict[str, JsonValue]


def payload(i: int) -> dict[str, JsonValue]:
    """A realistic execution payload (~250 bytes, one e-mail to redact)."""
    return {
        "tool": "ads.set_campaign_budget",
        "args": {"campaign_id": f"meta-{i % 40:03d}", "daily_budget": 100 + i % 17, "currency": "EUR"},
        "verdict": {"decision": "allow", "rule": "budget.max_daily_change"},
        "rationale": f"marginal ROAS 2.{i % 10} above target; notify owner@maison-lysa.com",
        "idempotency_key": f"k-{i:08d}",
    }


def events(count: int, start: int = 0) -> Iterator[AuditEvent]:
    for i in range(start, start + count):
        yield AuditEvent(run_id=f"run-{i // 100}", actor="graph", kind=AuditKind.EXECUTION, payload=payload(i))


def plain_row(i: int) -> Row:
    """The same columns an audit append stores, without redaction, hashing or the head lock."""
    return {
        "seq": i + 1,
        "recorded_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "run_id": f"run-{i // 100}",
        "actor": "graph",
        "kind": "execution",
        "payload": canonical_json(payload(i)),
        "leaf_hash": "",
        "prev_hash": "",
        "chain_hash": "",
    }


class Timing(NamedTuple):
    wall: float
    cpu: float


def timed(work: Callable[[], object]) -> Timing:
    """Wall-clock and process CPU seconds of one call (CPU time is robust to other load on the machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def baseline_writer(engine: Engine, tables: AuditTables) -> Callable[[list[Row]], None]:
    """Plain INSERTs into a table shaped like audit_records, one transaction (same write lock) per call."""

    def put(rows: list[Row]) -> None:
        with writing(engine) as conn:
            conn.execute(insert(tables.records), rows)

    return put


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000, help="appends per measurement")
    parser.add_argument("--batch", type=int, default=500, help="records per append_many / executemany")
    parser.add_argument("--big", type=int, default=100_000, help="size of the log whose verify is timed (0: skip)")
    parser.add_argument("--url", help="database URL (default: fresh SQLite files in a temp dir)")
    args = parser.parse_args()
    n, batch = args.records, args.batch
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    created: list[tuple[Engine, AuditTables]] = []

    def baseline(name: str) -> Callable[[list[Row]], None]:
        engine, tables = open_engine(args.url or work / f"{name}.db"), audit_tables(f"plain_{uuid.uuid4().hex[:8]}")
        create_tables(engine, tables)
        created.append((engine, tables))
        return baseline_writer(engine, tables)

    def audit_log(name: str) -> AuditLog:
        prefix = f"a_{uuid.uuid4().hex[:8]}"
        log = AuditLog.open(args.url or work / f"{name}.db", key_path=work / "key.pem", table_prefix=prefix)
        created.append((log.engine, log.tables))
        return log

    rows: list[tuple[str, int, Timing, float | None]] = []
    put = baseline("plain_single")
    base_single = timed(lambda: [put([plain_row(i)]) for i in range(n)])
    log = audit_log("audit_single")
    kind = AuditKind.EXECUTION
    single = timed(
        lambda: [log.append(run_id=f"run-{i // 100}", actor="graph", kind=kind, payload=payload(i)) for i in range(n)]
    )
    rows += [("plain INSERT, 1 row/txn (baseline)", n, base_single, None)]
    rows += [("audit append, 1 record/txn", n, single, single.wall / base_single.wall)]

    put = baseline("plain_batch")
    base_batch = timed(lambda: [put([plain_row(i) for i in range(s, min(s + batch, n))]) for s in range(0, n, batch)])
    batched = audit_log("audit_batch")
    many = timed(lambda: [batched.append_many(events(min(batch, n - s), s)) for s in range(0, n, batch)])
    rows += [(f"plain INSERT, {batch} rows/txn (baseline)", n, base_batch, None)]
    rows += [(f"audit append_many, {batch}/txn", n, many, many.wall / base_batch.wall)]

    rows += [("checkpoint (sign head)", n, timed(log.checkpoint), None)]
    rows += [("verify (records + checkpoint)", n, timed(log.verify), None)]
    rows += [("prove one record", n, timed(lambda: log.prove(n // 2)), None)]

    if args.big:
        big = audit_log("audit_big")
        fill = timed(lambda: [big.append_many(events(min(5000, args.big - s), s)) for s in range(0, args.big, 5000)])
        rows += [("audit append_many, 5000/txn", args.big, fill, None)]
        rows += [("checkpoint", args.big, timed(big.checkpoint), None)]
        report = big.verify()
        assert report.ok, report.problem
        rows += [("verify", args.big, timed(big.verify), None)]

    for engine, tables in created:
        if args.url:
            tables.metadata.drop_all(engine)
        engine.dispose()

    backend = "PostgreSQL" if args.url else "SQLite (WAL, synchronous=NORMAL)"
    print(f"\nAudit log benchmark on {backend}\n")
    print("| operation | records | wall s | CPU s | records/s (wall) | wall vs baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, count, timing, ratio in rows:
        versus = f"{ratio:.2f}x" if ratio is not None else ""
        line = f"| {name} | {count:,} | {timing.wall:.2f} | {timing.cpu:.2f} | {count / timing.wall:,.0f} | {versus} |"
        print(line)


if __name__ == "__main__":
    main()
