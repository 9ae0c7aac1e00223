"""Benchmark the array simulator against its per-SKU reference, in the same run: µs per SKU-day.

Builds one world (the small seed grown to --skus SKUs, as `bench_simulator.py` grows it), clones it, and simulates
the same days on both copies, alternating days (A/B) so machine load hits both alike; the reference is the
per-SKU shop in `tests/helpers/sim_oracle.py` (the simulator before it ran on arrays, on the same counter streams).
Three figures per side:

- model: the demand model alone on one catalog page's inputs (`simulate_skus` vs `simulate_sku` per SKU);
- shop: the shop's whole day (reads, model, substitution, picking, reviews, writes), timed inside `World.step`;
- day: the whole simulated day (ads, messaging, ledger and the shop).

    python bench/bench_sim_arrays.py                  # 20,000 SKUs, 4 days each side
    python bench/bench_sim_arrays.py --skus 100000 --days 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent / "tests")]

from bench_simulator import SEED, grow_catalog  # noqa: E402
from helpers.sim_oracle import SkuDayInput, oracle_sales, simulate_sku  # noqa: E402

from cadencia.evals.world import World, clone_store  # noqa: E402
from cadencia.evals.world.counters import CounterStream, entity_key, entity_keys, stream_key, uniforms  # noqa: E402
from cadencia.evals.world.demand import DRAWS, SkuDayInputs, simulate_skus  # noqa: E402
from cadencia.evals.world.sales import Drivers, SalesDay, simulate_sales  # noqa: E402
from cadencia.tools.seed import seed_store  # noqa: E402
from cadencia.tools.store.store import Store  # noqa: E402


class Timed:
    """A shop that adds its own wall time to `seconds`."""

    def __init__(self, shop: Callable[[Connection, int, date, Drivers], SalesDay]) -> None:
        self.shop, self.seconds = shop, 0.0

    def __call__(self, conn: Connection, seed: int, day: date, drivers: Drivers) -> SalesDay:
        started = time.process_time()
        try:
            return self.shop(conn, seed, day, drivers)
        finally:
            self.seconds += time.process_time() - started


def model_only(n: int, repeats: int) -> tuple[float, float]:
    """µs per SKU of the demand model alone: arrays vs the per-SKU function, on the same random inputs."""
    rng = np.random.default_rng(1)
    inputs = SkuDayInputs(
        price=rng.integers(500, 5000, n),
        list_price=rng.integers(500, 5000, n),
        elasticity=rng.uniform(-3.5, -1.5, n),
        base_daily_demand=rng.uniform(0, 3, n),
        discount_pct=np.where(rng.random(n) < 0.1, 20, 0),
        traffic=rng.uniform(0.8, 1.2, n),
        conversion=rng.uniform(0.5, 3.5, n),
        paid_units=rng.uniform(0, 1, n),
        sellable=rng.integers(0, 60, n),
        backlog=rng.integers(0, 3, n),
        debt=np.where(rng.random(n) < 0.05, rng.uniform(0, 5, n), 0.0),
        debt_rate=np.zeros(n),
    )
    names = [f"ML-{i:06d}" for i in range(n)]
    key = stream_key(SEED, "sim", "2026-03-02", "shop")
    started = time.process_time()
    for _ in range(repeats):
        simulate_skus(inputs, uniforms(key, entity_keys(names), 0, DRAWS))
    arrays = (time.process_time() - started) / repeats / n * 1e6
    columns: dict[str, list[Any]] = {name: getattr(inputs, name).tolist() for name in SkuDayInputs.__slots__}
    started = time.process_time()
    for _ in range(repeats):
        for i, sku in enumerate(names):
            simulate_sku(
                SkuDayInput(**{name: values[i] for name, values in columns.items()}),
                CounterStream(key, entity_key(sku)),
            )
    scalar = (time.process_time() - started) / repeats / n * 1e6
    return arrays, scalar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=4, help="days simulated on each side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        arrays_store = Store.open(Path(workdir) / "arrays.db")
        seed_store(arrays_store, seed=SEED)
        grow_catalog(arrays_store, args.skus)
        reference_store = clone_store(arrays_store, Path(workdir) / "reference.db")
        shops = {"arrays": Timed(simulate_sales), "reference": Timed(oracle_sales)}
        worlds = {
            "arrays": World(arrays_store, seed=SEED, shop=shops["arrays"]),
            "reference": World(reference_store, seed=SEED, shop=shops["reference"]),
        }
        walls = dict.fromkeys(worlds, 0.0)
        for _ in range(args.days):
            for name, world in worlds.items():
                started = time.process_time()
                world.step()
                walls[name] += time.process_time() - started
        for store in (arrays_store, reference_store):
            store.close()
    sku_days = args.skus * args.days
    model = model_only(min(args.skus, 20_000), 3)
    print(f"`python bench/bench_sim_arrays.py --skus {args.skus} --days {args.days}`\n")
    print("| µs per SKU-day | arrays | per-SKU reference | reference ÷ arrays |")
    print("|---|---:|---:|---:|")
    print(f"| demand model only | {model[0]:.2f} | {model[1]:.2f} | {model[1] / model[0]:.1f}× |")
    shop = {name: timed.seconds / sku_days * 1e6 for name, timed in shops.items()}
    day = {name: wall / sku_days * 1e6 for name, wall in walls.items()}
    print(
        f"| shop's day (reads, model, picking, reviews, writes) | {shop['arrays']:.2f} | {shop['reference']:.2f} "
        f"| {shop['reference'] / shop['arrays']:.1f}× |"
    )
    print(
        f"| whole simulated day | {day['arrays']:.2f} | {day['reference']:.2f} "
        f"| {day['reference'] / day['arrays']:.1f}× |"
    )


if __name__ == "__main__":
    main()
