"""Seeding time: `seed_store` against a plain `executemany` of the same rows, on SQLite and PostgreSQL.

The plain baseline draws the same rows from the same generators and hands them to the DB-API driver's
`executemany` (50k rows per call and per transaction) into the same tables with only their primary keys: no
secondary index, no progress, nothing else. `seed_store` also builds the secondary indexes. With `--baseline-python`
the seed of another checkout (e.g. the row-by-row seed) runs too. Each run is a fresh process on a fresh database;
runs take turns round after round. On SQLite all the work is in the process, so its CPU time is the steadier figure
on a loaded machine; on PostgreSQL the server's share is not in it.

Usage: python bench/bench_seed.py [--scale large] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
       [--rounds 1] [--baseline-python /path/to/old/venv/bin/python]
(--pg names a server where the script may create and drop scratch databases.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import islice
from pathlib import Path
from typing import Any

BATCH = 50_000


def _plain(db: str, scale: str) -> None:
    """Every seed row through the driver's executemany, nothing else."""
    from sqlalchemy import create_engine

    from cadencia.tools.ads.tables import ad_performance, campaigns
    from cadencia.tools.crm.tables import consents, contacts, deliveries
    from cadencia.tools.inventory.tables import products, sales_daily, stock, warehouses
    from cadencia.tools.reviews.tables import review_replies, reviews
    from cadencia.tools.seed import ads, catalog, crm
    from cadencia.tools.seed import reviews as review_rows
    from cadencia.tools.seed.sizes import SIZES, Scale
    from cadencia.tools.store.engine import normalize_url
    from cadencia.tools.store.metadata import metadata
    from cadencia.tools.store.store import DEFAULT_START_DAY

    sizes, today, seed = SIZES[Scale(scale)], DEFAULT_START_DAY, 7
    engine = create_engine(normalize_url(db))
    saved = {t: set(t.indexes) for t in metadata.sorted_tables}
    for table in metadata.sorted_tables:
        table.indexes.clear()
    try:
        metadata.create_all(engine)
    finally:
        for table, indexes in saved.items():
            table.indexes.update(indexes)
    raw = engine.raw_connection()
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    recipients = crm.history_recipients(seed, sizes, today)
    sites = [{"id": "WH-MAD", "name": "Madrid", "country": "ES"}, {"id": "WH-BOG", "name": "Bogotá", "country": "CO"}]
    loads: list[tuple[Any, Any]] = [
        (warehouses, sites),
        (products, catalog.products(seed, sizes.skus)),
        (stock, catalog.stock(seed, sizes.skus)),
        (sales_daily, catalog.sales(seed, sizes, today)),
        (campaigns, ads.campaigns(seed, sizes, today)),
        (ad_performance, ads.performance(seed, sizes, today)),
        (contacts, crm.contacts(seed, sizes.contacts, today)),
        (consents, crm.consents(seed, sizes.contacts, today)),
        (reviews, review_rows.reviews(seed, sizes, today)),
        (review_replies, review_rows.replies(seed, sizes, today)),
        (deliveries, crm.history_deliveries(recipients, today)),
    ]
    for table, rows in loads:
        it = iter(rows)
        while chunk := list(islice(it, BATCH)):
            keys = list(chunk[0])
            sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({', '.join([mark] * len(keys))})"
            cursor = raw.cursor()
            cursor.executemany(sql, [tuple(r[k] for k in keys) for r in chunk])
            raw.commit()
    raw.close()
    engine.dispose()


def _seed(db: str, scale: str) -> None:
    from cadencia.tools.seed import Scale, seed_store
    from cadencia.tools.store.store import Store

    store = Store.open(db)
    seed_store(store, seed=7, scale=Scale(scale))
    store.close()


def _worker(kind: str, db: str, scale: str) -> None:
    import cadencia.tools.seed  # noqa: F401  (imports are not part of the timing)

    started, cpu = time.perf_counter(), time.process_time()
    (_plain if kind == "plain" else _seed)(db, scale)
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}))


def _fresh(pg: str | None, work: Path, label: str) -> str:
    if pg is None:
        return str(work / f"{label}-{uuid.uuid4().hex[:6]}.db")
    from sqlalchemy import create_engine, text

    from cadencia.tools.store.engine import normalize_url

    name = f"cadencia_seed_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return normalize_url(pg).rsplit("/", 1)[0] + f"/{name}"


def _drop(pg: str | None, db: str) -> None:
    if pg is None:
        for suffix in ("", "-wal", "-shm"):
            Path(db + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    from cadencia.tools.store.engine import normalize_url

    admin = create_engine(normalize_url(pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db.rsplit("/", 1)[-1]}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=["small", "large"])
    parser.add_argument("--pg", help="Also measure on this PostgreSQL server (scratch databases).")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline-python", help="Python of another checkout whose seed_store runs too.")
    parser.add_argument("--only", action="append", help="Run only these (repeatable): plain, seed, before.")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "DB"), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.worker:
        _worker(opts.worker[0], opts.worker[1], opts.scale)
        return
    runs = {"plain executemany": (sys.executable, "plain"), "seed_store": (sys.executable, "seed")}
    if opts.baseline_python:
        runs["seed_store before"] = (opts.baseline_python, "seed")
    if opts.only:
        keep = {"plain": "plain executemany", "seed": "seed_store", "before": "seed_store before"}
        runs = {label: run for label, run in runs.items() if label in {keep[o] for o in opts.only}}
    work = Path(tempfile.mkdtemp(prefix="bench-seed-", dir="/tmp"))
    for pg in [None, opts.pg] if opts.pg else [None]:
        seconds: dict[str, list[float]] = {label: [] for label in runs}
        cpu: dict[str, list[float]] = {label: [] for label in runs}
        for _ in range(opts.rounds):
            for label, (python, kind) in runs.items():
                db = _fresh(pg, work, kind)
                try:
                    out = subprocess.run(
                        [python, __file__, "--scale", opts.scale, "--worker", kind, db],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                finally:
                    _drop(pg, db)
                timing = json.loads(out.stdout.strip().splitlines()[-1])
                seconds[label].append(timing["seconds"])
                cpu[label].append(timing["cpu"])
        first = next(iter(seconds))
        plain, plain_cpu = statistics.median(seconds[first]), statistics.median(cpu[first])
        print(f"\n{'PostgreSQL' if pg else 'SQLite'}, scale {opts.scale}, {opts.rounds} round(s)\n")
        print(f"| run | seconds (median) | vs {first} | CPU seconds of the process (median) | vs {first} |")
        print("|---|---:|---:|---:|---:|")
        for label, values in seconds.items():
            wall, used = statistics.median(values), statistics.median(cpu[label])
            print(f"| {label} | {wall:.1f} | {wall / plain:.2f}x | {used:.1f} | {used / plain_cpu:.2f}x |")


if __name__ == "__main__":
    main()
