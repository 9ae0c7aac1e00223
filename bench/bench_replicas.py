"""Mutating-call throughput of two `cadencia serve all --http` replicas on one PostgreSQL database vs one replica.

N clients each make M mutating calls (adjust_stock with compare-and-set, then set_price, alternating; every call
with an idempotency key), each client on its own SKU, as an agent fleet would. Baseline: the same clients on one
replica, measured in the same run and interleaved with the two-replica runs so both see the same machine load.

Usage: python bench/bench_replicas.py --url postgresql://postgres@127.0.0.1:5432/postgres [--clients 8]
       [--calls 40] [--repeat 3]
(--url names a server where the script may create and drop a scratch database.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text

from cadencia.tools.inventory.tables import products, stock
from cadencia.tools.seed import seed_store
from cadencia.tools.store.engine import normalize_url
from cadencia.tools.store.store import Store

HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
WAREHOUSE = "WH-MAD"


class Client:
    """`tools/call` as a JSON-RPC POST to a stateless JSON endpoint."""

    def __init__(self, url: str) -> None:
        self.url, self.ids = url, count(1)
        self.http = httpx.AsyncClient(headers=HEADERS, timeout=120)

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": next(self.ids), "method": "tools/call"}
        response = await self.http.post(self.url, json=body | {"params": {"name": tool, "arguments": arguments}})
        response.raise_for_status()
        result = response.json()["result"]
        if result.get("isError"):
            raise RuntimeError(f"{tool}: {result['content'][0]['text']}")
        return result["structuredContent"]


@dataclass
class Run:
    seconds: float
    latencies: list[float]
    errors: int
    server_cpu_s: float

    @property
    def calls_per_s(self) -> float:
        return len(self.latencies) / self.seconds


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (Linux /proc): steadier than wall time on a shared machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cadencia", "serve", "all", "--db", db_url, "--http", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server on {port} did not start: {log.read_text()[-2000:]}")


async def client_work(client: Client, tag: str, sku: str, price: int, on_hand: int, calls: int) -> tuple[list, int]:
    latencies, errors = [], 0
    for i in range(calls):
        key = f"{tag}-{sku}-{i:04d}"
        if i % 2 == 0:
            tool = "inventory_adjust_stock"
            delta = 1 if i % 4 == 0 else -1
            args = {"sku": sku, "warehouse_id": WAREHOUSE, "delta": delta, "expected_on_hand": on_hand}
            args |= {"reason": "cycle count", "idempotency_key": key}
        else:
            tool = "inventory_set_price"
            args = {"sku": sku, "price_minor": price * (97 if i % 4 == 1 else 98) // 100, "currency": "EUR"}
            args |= {"idempotency_key": key}
        started = time.perf_counter()
        try:
            result = await client.call(tool, args)
        except (RuntimeError, httpx.HTTPError):
            errors += 1
            continue
        latencies.append(time.perf_counter() - started)
        if tool == "inventory_adjust_stock":
            on_hand = result["on_hand"]
    return latencies, errors


async def measure(
    urls: list[str], store: Store, skus: list[tuple[str, int]], calls: int, tag: str, pids: list[int]
) -> Run:
    clients = [Client(urls[k % len(urls)]) for k in range(len(skus))]
    with store.reading() as conn:
        levels = dict(conn.execute(select(stock.c.sku, stock.c.on_hand).where(stock.c.warehouse_id == WAREHOUSE)).all())
    started, cpu = time.perf_counter(), cpu_seconds(pids)
    outcomes = await asyncio.gather(
        *(client_work(c, tag, sku, price, levels[sku], calls) for c, (sku, price) in zip(clients, skus, strict=True))
    )
    seconds, cpu = time.perf_counter() - started, cpu_seconds(pids) - cpu
    for client in clients:
        await client.http.aclose()
    return Run(seconds, [x for lat, _ in outcomes for x in lat], sum(e for _, e in outcomes), cpu)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="PostgreSQL server URL (a scratch database is created there)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--calls", type=int, default=40, help="mutating calls per client")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    name = f"cadencia_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(args.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = normalize_url(args.url).rsplit("/", 1)[0] + f"/{name}"
    work = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        store = Store.open(db_url)
        seed_store(store, seed=7)
        with store.reading() as conn:
            skus = [
                (sku, int(price))
                for sku, price in conn.execute(
                    select(products.c.sku, products.c.price_minor).order_by(products.c.sku).limit(args.clients)
                )
            ]
        ports = [free_port(), free_port()]
        processes = [start_server(db_url, port, work / f"replica{i}.log") for i, port in enumerate(ports)]
        urls = [f"http://127.0.0.1:{port}/mcp" for port in ports]
        pids = [p.pid for p in processes]
        asyncio.run(measure(urls, store, skus, 4, "warmup", pids))
        runs: dict[int, list[Run]] = {1: [], 2: []}
        for rep in range(args.repeat):
            for replicas in (1, 2):
                runs[replicas].append(
                    asyncio.run(measure(urls[:replicas], store, skus, args.calls, f"r{rep}x{replicas}", pids))
                )
        store.close()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    load = os.getloadavg()[0]
    print(
        f"\n{args.clients} clients x {args.calls} mutating calls, {args.repeat} rounds; {os.cpu_count()} CPUs, "
        f"load average {load:.1f}\n"
    )
    print("| setup | calls/round | calls/s (median) | p50 ms | p95 ms | vs 1 replica | server CPU ms/call | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base = statistics.median(r.calls_per_s for r in runs[1])
    for replicas, label in ((1, "1 replica (baseline)"), (2, "2 replicas")):
        rate = statistics.median(r.calls_per_s for r in runs[replicas])
        latencies = [x * 1000 for r in runs[replicas] for x in r.latencies]
        errors = sum(r.errors for r in runs[replicas])
        cpu_ms = 1000 * sum(r.server_cpu_s for r in runs[replicas]) / len(latencies)
        print(
            f"| {label} | {args.clients * args.calls} | {rate:.1f} | {statistics.median(latencies):.1f} | "
            f"{percentile(latencies, 95):.1f} | {rate / base:.2f}x | {cpu_ms:.1f} | {errors} |"
        )


if __name__ == "__main__":
    main()
