"""Added latency of the guardrail proxy: the same calls to `cadencia serve all` directly and through `cadencia proxy`
(overlays/cadencia.yaml), both over stdio, in the same run and interleaved round by round.

Direct: `cadencia serve all --policy P` (the server holds the calls to the policy). Proxied: `cadencia proxy
--upstream "cadencia serve all --policy off" --overlay overlays/cadencia.yaml --policy P` (the proxy holds them, and
reads the facts the policy needs back through the upstream's read tools). P is the shipped server policy with the
daily budgets lifted (a benchmark makes more price changes than a day allows). Each side has its own copy of one
seeded small sandbox. Calls: a read (`inventory_get_product`) and a write the policy allows (`inventory_set_price`,
alternating two prices 1.5 % apart: reversible, thresholds and floor checked, audited).

Usage: python bench/bench_proxy.py [--calls 100] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import yaml
from mcp import Client, StdioServerParameters

from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.seed import Scale, seed_store
from cadencia.tools.store.store import Store

ROOT = Path(__file__).resolve().parents[1]
SKU = "ML-000001"
PRICES = (2690, 2650)
READ = ("inventory_get_product", {"sku": SKU})


def cadencia(*args: str) -> list[str]:
    return [sys.executable, "-m", "cadencia", *args]


@asynccontextmanager
async def connected(command: list[str]) -> AsyncIterator[Client]:
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with Client(params, mode="auto", cache=None) as client:
        yield client


async def timed(client: Client, calls: int, write: bool) -> float:
    """Mean ms per call over `calls` sequential calls; any error result aborts the benchmark."""
    started = time.perf_counter()
    for i in range(calls):
        if write:
            args = {"sku": SKU, "price_minor": PRICES[i % 2], "currency": "EUR"}
            result = await client.call_tool("inventory_set_price", args)
        else:
            result = await client.call_tool(*READ)
        if result.is_error:
            raise SystemExit(f"call failed: {result.content}")
    return (time.perf_counter() - started) * 1000 / calls


async def main(calls: int, rounds: int, out: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        store = Store.open(tmp / "seed.db")
        seed_store(store, seed=7, scale=Scale.SMALL)
        store.close()
        for side in ("direct", "proxied"):
            shutil.copyfile(tmp / "seed.db", tmp / f"{side}.db")
        policy = default_server_policy().model_dump(mode="json", exclude_none=True)
        policy["budgets"] = {}
        (tmp / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
        direct = cadencia("serve", "all", "--db", str(tmp / "direct.db"), "--policy", str(tmp / "policy.yaml"))
        direct += ["--workdir", str(tmp / "w-direct")]
        upstream = cadencia("serve", "all", "--db", str(tmp / "proxied.db"), "--policy", "off")
        upstream += ["--workdir", str(tmp / "w-upstream")]
        proxied = cadencia(
            "proxy", "--upstream", shlex.join(upstream), "--overlay", str(ROOT / "overlays/cadencia.yaml")
        )
        proxied += ["--policy", str(tmp / "policy.yaml"), "--workdir", str(tmp / "w-proxy")]
        samples: dict[str, list[float]] = {}
        async with connected(direct) as d, connected(proxied) as p:
            for client in (d, p):  # warm up: imports, first reads, SQLite caches
                await timed(client, 10, write=False)
                await timed(client, 10, write=True)
            for _ in range(rounds):
                for kind, write in (("read", False), ("write", True)):
                    samples.setdefault(f"direct {kind}", []).append(await timed(d, calls, write))
                    samples.setdefault(f"proxied {kind}", []).append(await timed(p, calls, write))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    print(f"{calls} calls x {rounds} rounds, stdio, median of round means (ms per call); load {os.getloadavg()[0]:.1f}")
    print("| call | direct ms | proxied ms | added ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for kind in ("read", "write"):
        a, b = medians[f"direct {kind}"], medians[f"proxied {kind}"]
        print(f"| {kind} | {a:.2f} | {b:.2f} | {b - a:+.2f} | {b / a:.2f} |")
    if out is not None:
        out.write_text(json.dumps({"calls": calls, "rounds": rounds, "samples": samples}, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    asyncio.run(main(options.calls, options.rounds, options.json))
