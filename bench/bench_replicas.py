"""Mutating-call throughput of two `cadencia serve all --http` replicas on one PostgreSQL database vs one replica,
directly and behind HAProxy (`deploy/haproxy.cfg`), and what a `kill -9` of one replica mid-round costs.

N clients each make M mutating calls (adjust_stock with compare-and-set, then set_price, alternating; every call
with an idempotency key), each client on its own SKU, as an agent fleet would. Baseline: the same clients on one
replica, measured in the same run and interleaved with the other setups so all see the same machine load. The
last round goes through HAProxy and SIGKILLs replica 0 after a third of the calls; clients retry a lost call with
the same idempotency key; the invariants (no lost update, no key executed twice) are checked in the database.

Usage: python bench/bench_replicas.py --url postgresql://postgres@127.0.0.1:5432/postgres [--clients 8]
       [--calls 40] [--repeat 3] [--no-haproxy]
(--url names a server where the script may create and drop a scratch database; HAProxy is Debian's package.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
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
from sqlalchemy import create_engine, func, select, text

from cadencia.tools.inventory.tables import products, stock
from cadencia.tools.seed import seed_store
from cadencia.tools.store.engine import normalize_url
from cadencia.tools.store.journal import calls as calls_table
from cadencia.tools.store.store import Store

HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
WAREHOUSE = "WH-MAD"


class Client:
    """`tools/call` as a JSON-RPC POST to a stateless JSON endpoint; with `retries`, a lost connection or a 5xx is
    sent again with the same arguments (the same idempotency key), as a client of a balanced service does."""

    def __init__(self, url: str, *, retries: int = 0) -> None:
        self.url, self.ids, self.retries = url, count(1), retries
        self.http = httpx.AsyncClient(headers=HEADERS, timeout=120)
        self.retried = 0

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": next(self.ids), "method": "tools/call"}
        for attempt in range(self.retries + 1):
            try:
                response = await self.http.post(
                    self.url, json=body | {"params": {"name": tool, "arguments": arguments}}
                )
                response.raise_for_status()
                break
            except (httpx.TransportError, httpx.HTTPStatusError):
                if attempt == self.retries:
                    raise
                self.retried += 1
                await asyncio.sleep(0.05)
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
    retries: int = 0
    lost_updates: int = 0
    doubled_keys: int = 0

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


def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"process on {port} did not start: {log.read_text()[-2000:]}")


def start_server(db_url: str, port: int, log: Path, front: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cadencia", "serve", "all", "--db", db_url, "--http", "--port", str(port)]
    # The store's throughput, as tests/concurrency measures its correctness: no server policy (its daily budgets
    # would stop a benchmark), and nothing written to the user's workdir.
    command += ["--allowed-host", f"127.0.0.1:{front}", "--policy", "off", "--workdir", str(log.parent)]
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    wait_listening(port, process, log)
    return process


def start_haproxy(front: int, ports: list[int], work: Path) -> subprocess.Popen[bytes]:
    """`deploy/haproxy.cfg` with these ports (listener and one server line per replica)."""
    text = (Path(__file__).resolve().parents[1] / "deploy" / "haproxy.cfg").read_text(encoding="utf-8")
    text = text.replace("bind 0.0.0.0:8080", f"bind 127.0.0.1:{front}")
    lines = [line for line in text.splitlines() if not line.strip().startswith("server ")]
    lines += [f"    server replica{i} 127.0.0.1:{p} check inter 200ms fall 1 rise 2" for i, p in enumerate(ports)]
    config, log = work / "haproxy.cfg", work / "haproxy.log"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    with log.open("wb") as out:
        process = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=out, stderr=out)
    wait_listening(front, process, log)
    return process


async def client_work(
    client: Client, tag: str, sku: str, price: int, on_hand: int, calls: int, acked: list[tuple[str, int]]
) -> tuple[list, int]:
    """`acked` gets (sku, delta) of every acknowledged stock adjustment: what the database must show afterwards."""
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
        except (RuntimeError, httpx.HTTPError) as exc:
            errors += 1
            if errors == 1 and os.environ.get("BENCH_SHOW_ERRORS"):
                print(f"{tag} {sku}: {exc}"[:400])
            continue
        latencies.append(time.perf_counter() - started)
        if tool == "inventory_adjust_stock":
            on_hand = result["on_hand"]
            acked.append((sku, delta))
    return latencies, errors


async def measure(
    urls: list[str],
    store: Store,
    skus: list[tuple[str, int]],
    calls: int,
    tag: str,
    pids: list[int],
    *,
    kill: subprocess.Popen[bytes] | None = None,
) -> Run:
    """One round; with `kill`, that process gets SIGKILL after a third of the calls and clients retry lost calls."""
    clients = [Client(urls[k % len(urls)], retries=8 if kill else 0) for k in range(len(skus))]
    with store.reading() as conn:
        levels = dict(conn.execute(select(stock.c.sku, stock.c.on_hand).where(stock.c.warehouse_id == WAREHOUSE)).all())
    acked: list[tuple[str, int]] = []
    measured = [pid for pid in pids if kill is None or pid != kill.pid]  # a killed process's CPU is not comparable
    started, cpu = time.perf_counter(), cpu_seconds(measured)

    async def killer() -> None:
        while len(acked) < len(skus) * calls // 6:  # a third of the calls: half of them are stock adjustments
            await asyncio.sleep(0.01)
        assert kill is not None
        kill.kill()

    work = [
        client_work(client, tag, sku, price, levels[sku], calls, acked)
        for client, (sku, price) in zip(clients, skus, strict=True)
    ]
    outcomes = await asyncio.gather(*work, *([killer()] if kill else []))
    outcomes = outcomes[: len(clients)]
    seconds, cpu = time.perf_counter() - started, cpu_seconds(measured) - cpu
    for client in clients:
        await client.http.aclose()
    with store.reading() as conn:
        after = dict(conn.execute(select(stock.c.sku, stock.c.on_hand).where(stock.c.warehouse_id == WAREHOUSE)).all())
        doubled = conn.execute(
            select(func.count()).select_from(
                select(calls_table.c.idempotency_key)
                .where(calls_table.c.idempotency_key.like(f"{tag}-%"))
                .group_by(calls_table.c.idempotency_key)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
    lost = sum(1 for sku, _ in skus if after[sku] != levels[sku] + sum(d for s, d in acked if s == sku))
    latencies = [x for lat, _ in outcomes for x in lat]
    errors = sum(e for _, e in outcomes)
    return Run(seconds, latencies, errors, cpu, sum(c.retried for c in clients), lost, doubled)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="PostgreSQL server URL (a scratch database is created there)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--calls", type=int, default=40, help="mutating calls per client")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-haproxy", action="store_true", help="only the direct setups")
    args = parser.parse_args()

    name = f"cadencia_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(args.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = normalize_url(args.url).rsplit("/", 1)[0] + f"/{name}"
    work = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    processes: list[subprocess.Popen[bytes]] = []
    setups = [
        "1 replica (baseline)",
        "2 replicas, clients split",
        *([] if args.no_haproxy else ["2 replicas via haproxy"]),
    ]
    runs: dict[str, list[Run]] = {label: [] for label in setups}
    killed: Run | None = None
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
        front, ports = free_port(), [free_port(), free_port()]
        servers = [start_server(db_url, port, work / f"replica{i}.log", front) for i, port in enumerate(ports)]
        processes += servers
        if not args.no_haproxy:
            processes.append(start_haproxy(front, ports, work))
        direct = [f"http://127.0.0.1:{port}/mcp" for port in ports]
        balanced = [f"http://127.0.0.1:{front}/mcp"]
        pids = [p.pid for p in servers]
        targets = {setups[0]: direct[:1], setups[1]: direct, **({setups[2]: balanced} if len(setups) > 2 else {})}
        asyncio.run(measure(direct, store, skus, 4, "warmup", pids))
        for rep in range(args.repeat):
            for k, label in enumerate(setups):
                runs[label].append(asyncio.run(measure(targets[label], store, skus, args.calls, f"r{rep}s{k}", pids)))
        if not args.no_haproxy:
            killed = asyncio.run(measure(balanced, store, skus, args.calls, "kill", pids, kill=servers[0]))
        store.close()
    finally:
        for process in processes:
            if process.poll() is None:
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
    print(
        "| setup | calls/round | calls/s (median) | p50 ms | p95 ms | vs 1 replica | server CPU ms/call | errors "
        "| lost updates | keys run twice |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = statistics.median(r.calls_per_s for r in runs[setups[0]])
    rows = [(label, runs[label]) for label in setups]
    if killed is not None:
        rows.append(("via haproxy, replica 0 killed mid-round (1 round)", [killed]))
    for label, measured in rows:
        rate = statistics.median(r.calls_per_s for r in measured)
        latencies = [x * 1000 for r in measured for x in r.latencies]
        cpu_ms = 1000 * sum(r.server_cpu_s for r in measured) / len(latencies)
        errors = sum(r.errors for r in measured)
        lost, doubled = sum(r.lost_updates for r in measured), sum(r.doubled_keys for r in measured)
        print(
            f"| {label} | {args.clients * args.calls} | {rate:.1f} | {statistics.median(latencies):.1f} | "
            f"{percentile(latencies, 95):.1f} | {rate / base:.2f}x | {cpu_ms:.1f} | {errors} | {lost} | {doubled} |"
        )
    if killed is not None:
        print(f"\nkill round: {killed.retries} calls retried with their idempotency key after the kill")


if __name__ == "__main__":
    main()
