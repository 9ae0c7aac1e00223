"""Audit log speed against raw sqlite3 inserts of the same rows, before and after a change, in one run.

Each measurement runs in a fresh interpreter on a fresh SQLite file (WAL, synchronous=NORMAL, as the log uses),
A/B alternated over `--rounds`; the table shows medians, and every ratio divides by the raw baseline measured in
the same round. `--before REF` measures the audit package of a git ref side by side (its `tools/` tree is
extracted to a temporary directory and imported instead of this checkout's).

Usage: python bench/bench_audit.py [--records 20000] [--batch 500] [--big 100000] [--huge 0] [--rounds 3]
                                   [--before f4dac6e]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "0" * 64
Payload = dict[str, Any]


def payload(i: int) -> Payload:
    """A realistic execution payload (~250 bytes of JSON, one e-mail to redact)."""
    return {
        "tool": "ads.set_campaign_budget",
        "args": {"campaign_id": f"meta-{i % 40:03d}", "daily_budget": 100 + i % 17, "currency": "EUR"},
        "verdict": {"decision": "allow", "rule": "budget.max_daily_change"},
        "rationale": f"marginal ROAS 2.{i % 10} above target; notify owner@maison-lysa.com",
        "idempotency_key": f"k-{i:08d}",
    }


# -- workloads, each run in its own interpreter ----------------------------------------------------------------------


def timed(work: Callable[[], object]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def raw_sqlite(path: Path, n: int, batch: int) -> dict[str, float]:
    """What storing the same rows in the same table costs without the log: a timestamp and JSON per row, one
    INSERT per row, a commit per batch, on a plain sqlite3 connection."""
    from sqlalchemy.dialects import sqlite  # imported here: only this worker needs the DDL
    from sqlalchemy.schema import CreateIndex, CreateTable

    from cadencia.tools.audit.schema import audit_tables

    records = audit_tables().records
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for ddl in (CreateTable(records), *(CreateIndex(index) for index in records.indexes)):
        conn.execute(str(ddl.compile(dialect=sqlite.dialect())))
    encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    insert = "INSERT INTO audit_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    def row(i: int) -> tuple[object, ...]:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        body = encoder.encode(payload(i))
        return (i + 1, now, f"run-{i // 100}", "graph", "execution", body, *(PLACEHOLDER,) * 4)

    def work() -> None:
        for start in range(0, n, batch):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, [row(i) for i in range(start, min(start + batch, n))])
            conn.execute("COMMIT")

    return timed(work)


def audit_appends(path: Path, n: int, batch: int, options: dict[str, Any]) -> dict[str, float]:
    """The same events through AuditLog: `append` when batch is 1, else `append_many` of AuditEvents."""
    from cadencia.tools.audit import AuditEvent, AuditKind, AuditLog  # imported here: --before swaps the package

    log = AuditLog.open(path, key_path=path.with_suffix(".pem"), **options)
    kind = AuditKind.EXECUTION

    def singles() -> None:
        for i in range(n):
            log.append(run_id=f"run-{i // 100}", actor="graph", kind=kind, payload=payload(i))

    def batches() -> None:
        for start in range(0, n, batch):
            end = min(start + batch, n)
            log.append_many(
                AuditEvent(run_id=f"run-{i // 100}", actor="graph", kind=kind, payload=payload(i))
                for i in range(start, end)
            )

    result = timed(singles if batch == 1 else batches)
    log.close()
    return result


def audit_verify(path: Path, n: int, options: dict[str, Any], verify: dict[str, Any]) -> dict[str, float]:
    """Fill a log with `n` records (5000 per transaction, untimed), checkpoint it, then time `verify`."""
    from cadencia.tools.audit import AuditEvent, AuditKind, AuditLog  # imported here: --before swaps the package

    log = AuditLog.open(path, key_path=path.with_suffix(".pem"), **options)
    kind = AuditKind.EXECUTION
    for start in range(0, n, 5000):
        events = (
            AuditEvent(run_id=f"run-{i // 100}", actor="graph", kind=kind, payload=payload(i))
            for i in range(start, min(start + 5000, n))
        )
        log.append_many(events)
    log.checkpoint()
    holder: list[Any] = []
    result = timed(lambda: holder.append(log.verify(**verify)))
    assert holder[0].ok, holder[0].problem
    log.close()
    return result


def worker(spec: dict[str, Any]) -> dict[str, float]:
    path = Path(spec["dir"]) / "audit.db"
    if spec["kind"] == "raw":
        return raw_sqlite(path, spec["n"], spec["batch"])
    if spec["kind"] == "append":
        return audit_appends(path, spec["n"], spec["batch"], spec["options"])
    return audit_verify(path, spec["n"], spec["options"], spec["verify"])


# -- orchestration ---------------------------------------------------------------------------------------------------


def extract_before(ref: str, into: Path) -> Path:
    """A directory whose `cadencia` package is this checkout's, with `cadencia.tools` as it was at `ref`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "tools"], check=True, capture_output=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into / "tree", filter="data")
    package = into / "site" / "cadencia"
    shutil.copytree(ROOT / "src" / "cadencia", package)
    (package / "tools").symlink_to(into / "tree" / "tools", target_is_directory=True)
    return into / "site"


def run(spec: dict[str, Any], site: Path | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as work:
        argv = [sys.executable, __file__, "--worker", json.dumps({**spec, "dir": work})]
        env = None if site is None else {**os.environ, "PYTHONPATH": str(site)}
        done = subprocess.run(argv, check=True, capture_output=True, text=True, env=env)
        return json.loads(done.stdout)


Row = tuple[str, int, str, dict[str, Any]]  # label, records, implementation, spec


def plan(args: argparse.Namespace) -> Iterator[Row]:
    n, batch = args.records, args.batch
    impls = ["before", "after"] if args.before else ["after"]
    for size, label in ((1, "1 record/txn"), (batch, f"{batch} records/txn")):
        yield f"raw sqlite3 INSERT, {label}", n, "raw", {"kind": "raw", "n": n, "batch": size}
        for impl in impls:
            yield f"audit append, {label}", n, impl, {"kind": "append", "n": n, "batch": size, "options": {}}
        variants = {"MAC only, no automatic checkpoint": None, "Ed25519 checkpoint every txn": 1}
        for name, every in variants.items():
            options = {"checkpoint_every": every}
            yield (
                f"audit append, {label}, {name}",
                n,
                "after",
                {"kind": "append", "n": n, "batch": size, "options": options},
            )
    for size in (args.big, args.huge):
        if size:
            for impl in impls:
                yield "verify", size, impl, {"kind": "verify", "n": size, "options": {}, "verify": {}}
    if args.big:
        full = {"kind": "verify", "n": args.big, "options": {}, "verify": {"full": True}}
        yield "verify --full (the diagnosing pass)", args.big, "after", full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000, help="appends per append measurement")
    parser.add_argument("--batch", type=int, default=500, help="records per append_many / executemany")
    parser.add_argument("--big", type=int, default=100_000, help="size of a log whose verify is timed (0: skip)")
    parser.add_argument("--huge", type=int, default=0, help="a second, larger verify (e.g. 1000000)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds; medians are reported")
    parser.add_argument("--before", help="git ref whose audit log to measure side by side")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-audit-before-") as scratch:
        site = extract_before(args.before, Path(scratch)) if args.before else None
        rows = list(plan(args))
        results: dict[int, list[dict[str, float]]] = {i: [] for i in range(len(rows))}
        for round_ in range(args.rounds):
            for i, (label, count, impl, spec) in enumerate(rows):
                if spec["kind"] == "verify" and round_ and count > args.big:
                    continue  # the huge log is built and verified once
                results[i].append(run(spec, site if impl == "before" else None))
                print(
                    f"round {round_ + 1}: {impl:6} {label} ({count:,}): {results[i][-1]['wall']:.2f} s", file=sys.stderr
                )
    report(args, rows, results)


def report(args: argparse.Namespace, rows: list[Row], results: dict[int, list[dict[str, float]]]) -> None:
    baselines: dict[tuple[int, str], list[dict[str, float]]] = {}
    for i, (_label, _count, impl, spec) in enumerate(rows):
        if impl == "raw":
            baselines[(spec["batch"], "")] = results[i]
    print(f"\nAudit log vs raw sqlite3 (SQLite WAL, synchronous=NORMAL), median of {args.rounds} A/B rounds\n")
    print("| operation | implementation | records | wall s | CPU s | records/s | wall ÷ raw | CPU ÷ raw |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for i, (label, count, impl, spec) in enumerate(rows):
        runs = results[i]
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        ratio = cpu_ratio = ""
        base = baselines.get((spec.get("batch", 0), "")) if spec["kind"] == "append" else None
        if base:
            ratio = f"{statistics.median(r['wall'] / b['wall'] for r, b in zip(runs, base, strict=False)):.2f}"
            cpu_ratio = f"{statistics.median(r['cpu'] / b['cpu'] for r, b in zip(runs, base, strict=False)):.2f}"
        name = f"before ({args.before})" if impl == "before" else impl
        print(
            f"| {label} | {name} | {count:,} | {wall:.2f} | {cpu:.2f} | {count / wall:,.0f} | {ratio} | {cpu_ratio} |"
        )


if __name__ == "__main__":
    main()
