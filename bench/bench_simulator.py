"""Benchmark the world simulator: scenario-days per second on worlds of 40, 1k, 10k and 100k SKUs.

Each size runs in its own process (so peak memory is per world) on a SQLite file store: the small seed, grown to
the target catalog with copies of its products (stock for 3–150 days, 7 days of sales history). Against each
simulated day stands a baseline measured in the same run: a bare day that reads the whole stock table and
advances the clock in one transaction. Wall and CPU time are both reported (CPU is steadier on a busy machine).
Prints a markdown table.

    python bench/bench_simulator.py                       # 40, 1k, 10k, 100k SKUs
    python bench/bench_simulator.py --sizes 40,1000 --days 20
    python bench/bench_simulator.py --large PATH          # 100k row from a seed_store(scale=LARGE) database
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from cadencia.evals.world import World, open_truth
from cadencia.evals.world.tables import sim_product_truth
from cadencia.tools.inventory.tables import products, sales_daily, stock
from cadencia.tools.seed import MARKET, seed_store
from cadencia.tools.seed.catalog import sku_id
from cadencia.tools.seed.rand import poisson, stream
from cadencia.tools.store.store import Store

SEED = 7
BATCH = 5_000
HISTORY_DAYS = 7
COVERS = (3, 6, 10, 20, 30, 35, 45, 60, 90, 150)
DEFAULT_DAYS = {40: 60, 1_000: 20, 10_000: 3, 100_000: 1}
WARM_UP_BELOW = 10_000
"""Smaller worlds simulate one untimed day first (statement compilation); for big ones it is noise."""


def grow_catalog(store: Store, skus: int) -> None:
    """Add products ML-000040… copied from the seed's 40 (same market truth, demand scaled), with stock and history."""
    open_truth(store)
    with store.reading() as conn:
        templates = [dict(r) for r in conn.execute(select(products).order_by(products.c.sku)).mappings()]
        truths = [dict(r) for r in conn.execute(select(sim_product_truth).order_by(sim_product_truth.c.sku)).mappings()]
    today = store.today()
    for start in range(len(templates), skus, BATCH):
        product_rows, truth_rows, stock_rows, sales_rows = [], [], [], []
        for i in range(start, min(skus, start + BATCH)):
            rng = stream(SEED, "bench-grow", i)
            row = templates[i % len(templates)] | {"sku": sku_id(i)}
            truth = truths[i % len(truths)] | {"sku": row["sku"]}
            truth["base_daily_demand"] = round(truth["base_daily_demand"] * rng.uniform(0.5, 1.5), 3)
            product_rows.append(row)
            truth_rows.append(truth)
            total = round(truth["base_daily_demand"] * rng.choice(COVERS))
            stock_rows += [
                {"sku": row["sku"], "warehouse_id": "WH-MAD", "on_hand": total * 2 // 3, "reserved": 0},
                {"sku": row["sku"], "warehouse_id": "WH-BOG", "on_hand": total - total * 2 // 3, "reserved": 0},
            ]
            for back in range(HISTORY_DAYS, 0, -1):
                day = today - timedelta(days=back)
                units = poisson(rng, truth["base_daily_demand"] * MARKET.traffic_season(day))
                sales_rows.append(
                    {
                        "sku": row["sku"],
                        "day": day.isoformat(),
                        "units": units,
                        "revenue_minor": units * row["price_minor"],
                        "lost_units": 0,
                    }
                )
        with store.writing() as conn:
            conn.execute(insert(products), product_rows)
            conn.execute(insert(sim_product_truth), truth_rows)
            conn.execute(insert(stock), stock_rows)
            conn.execute(insert(sales_daily), sales_rows)


def bare_day(store: Store) -> None:
    """The baseline: read every stock row and move the clock on, in one transaction."""
    with store.writing() as conn:
        day = store.today(conn)
        conn.execute(select(stock.c.sku, stock.c.warehouse_id, stock.c.on_hand, stock.c.reserved)).all()
        store.set_world(conn, "today", (day + timedelta(days=1)).isoformat())


def measure(size: int, days: int, large: Path | None, workdir: Path) -> dict[str, Any]:
    """Build one world, then time `days` simulated days and as many bare days (after one warm-up day)."""
    path = workdir / f"world-{size}.db"
    started = time.perf_counter()
    if large is not None:
        shutil.copyfile(large, path)
        store = Store.open(path)
    else:
        store = Store.open(path)
        seed_store(store, seed=SEED)
        grow_catalog(store, size)
    built = time.perf_counter() - started
    started = time.perf_counter()
    world = World(store, seed=SEED)
    primed = time.perf_counter() - started
    if size < WARM_UP_BELOW:
        world.step()
    started, cpu = time.perf_counter(), time.process_time()
    world.run(days)
    simulated, simulated_cpu = (time.perf_counter() - started) / days, (time.process_time() - cpu) / days
    started = time.perf_counter()
    for _ in range(days):
        bare_day(store)
    bare = (time.perf_counter() - started) / days
    store.close()
    return {
        "size": size,
        "days": days,
        "build_s": built,
        "prime_s": primed,
        "sim_ms": simulated * 1000,
        "sim_cpu_ms": simulated_cpu * 1000,
        "bare_ms": bare * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| world | SKUs | days timed | build s | prime s | ms / sim day | CPU ms / sim day | sim days / s "
        "| ms / bare day | sim ÷ bare | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        name = "small (seed)" if r["size"] == 40 else ("large (seed)" if r.get("large") else "small + grown")
        lines.append(
            f"| {name} | {r['size']:,} | {r['days']} | {r['build_s']:.1f} | {r['prime_s']:.2f} | {r['sim_ms']:.1f} "
            f"| {r['sim_cpu_ms']:.1f} | {1000 / r['sim_ms']:.2f} | {r['bare_ms']:.2f} "
            f"| {r['sim_ms'] / r['bare_ms']:.0f}× | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="40,1000,10000,100000", help="comma-separated SKU counts")
    parser.add_argument("--days", type=int, default=None, help="days timed per size (default: by size)")
    parser.add_argument("--large", type=Path, default=None, help="a LARGE-seeded SQLite file for the 100k row")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        with tempfile.TemporaryDirectory() as workdir:
            large = args.large if args.one == 100_000 else None
            result = measure(args.one, args.days or DEFAULT_DAYS.get(args.one, 5), large, Path(workdir))
        print(json.dumps(result | {"large": large is not None}))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size)]
        command += ["--days", str(args.days)] if args.days else []
        command += ["--large", str(args.large)] if args.large else []
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"… {size:,} SKUs: {results[-1]['sim_ms']:.1f} ms per simulated day", file=sys.stderr)
    print(table(results))


if __name__ == "__main__":
    main()
