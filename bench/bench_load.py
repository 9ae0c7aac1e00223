"""Load on one server: N clients x M mutating calls at once, against a bare MCP SDK server doing the same write.

Every client adjusts stock of its own SKU with compare-and-set (`inventory_adjust_stock`, an idempotency key per
call) over streamable HTTP (stateless, JSON responses), all clients at once. The bare server is the SDK's own
server with one tool that runs the same read-check-update in one transaction on a worker thread, without the
journal, idempotency, undo token or policy Cadencia adds. With `--baseline-python` a server from another checkout
(e.g. before SQL moved off the event loop) runs the same load. Servers take turns, round after round, so all see the
same machine load.

Usage: python bench/bench_load.py --url postgresql://postgres@127.0.0.1:5432/postgres [--clients 16] [--calls 25]
       [--rounds 3] [--baseline-python /path/to/old/venv/bin/python]
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

HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
WAREHOUSE = "WH-MAD"
TOOL = "inventory_adjust_stock"


def bare_server(db_url: str, port: int) -> None:
    """The SDK's server with one tool doing the same compare-and-set write, on a worker thread."""
    import anyio
    from mcp.server.mcpserver import MCPServer
    from sqlalchemy import create_engine, select, update

    from cadencia.tools.inventory.tables import stock

    engine = create_engine(db_url)
    server = MCPServer("bare", log_level="WARNING")

    def write(sku: str, warehouse_id: str, delta: int, expected_on_hand: int, reason: str) -> dict[str, Any]:
        key = (stock.c.sku == sku, stock.c.warehouse_id == warehouse_id)
        with engine.begin() as conn:
            on_hand = conn.execute(select(stock.c.on_hand).where(*key).with_for_update()).scalar_one()
            if on_hand != expected_on_hand:
                raise ValueError(f"{sku} has {on_hand} on hand, not {expected_on_hand}")
            conn.execute(update(stock).where(*key).values(on_hand=on_hand + delta))
        return {"sku": sku, "warehouse_id": warehouse_id, "previous_on_hand": on_hand, "on_hand": on_hand + delta}

    @server.tool(name=TOOL)
    async def adjust_stock(
        sku: str, warehouse_id: str, delta: int, expected_on_hand: int, reason: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Adjust on-hand stock with compare-and-set."""
        return await anyio.to_thread.run_sync(write, sku, warehouse_id, delta, expected_on_hand, reason)

    server.run(transport="streamable-http", host="127.0.0.1", port=port, stateless_http=True, json_response=True)


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

    @property
    def calls_per_s(self) -> float:
        return len(self.latencies) / self.seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server on {port} did not start: {log.read_text()[-2000:]}")


async def client_work(client: Client, tag: str, sku: str, on_hand: int, calls: int) -> tuple[list[float], int]:
    """One client's calls on its own SKU; a refused call (it should not happen: no one else writes that SKU) counts
    as an error and ends the client's turn, since its expected value is unknown."""
    latencies: list[float] = []
    for i in range(calls):
        args = {"sku": sku, "warehouse_id": WAREHOUSE, "delta": 1 if i % 2 == 0 else -1, "expected_on_hand": on_hand}
        args |= {"reason": "cycle count", "idempotency_key": f"{tag}-{sku}-{i:04d}"}
        started = time.perf_counter()
        try:
            result = await client.call(TOOL, args)
        except (RuntimeError, httpx.HTTPError):
            return latencies, calls - len(latencies)
        latencies.append(time.perf_counter() - started)
        on_hand = result["on_hand"]
    return latencies, 0


async def measure(url: str, levels: dict[str, int], calls: int, tag: str) -> Run:
    clients = [Client(url) for _ in levels]
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(client_work(c, tag, sku, n, calls) for c, (sku, n) in zip(clients, levels.items(), strict=True))
    )
    seconds = time.perf_counter() - started
    for client in clients:
        await client.http.aclose()
    return Run(seconds, [x for lat, _ in outcomes for x in lat], sum(e for _, e in outcomes))


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="PostgreSQL server URL (a scratch database is created there)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--calls", type=int, default=25, help="mutating calls per client per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-python", help="Python of another checkout to serve the same load")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.bare:
        bare_server(opts.url, opts.port)
        return

    from sqlalchemy import create_engine, select, text

    from cadencia.tools.inventory.tables import products, stock
    from cadencia.tools.seed import seed_store
    from cadencia.tools.store.engine import normalize_url
    from cadencia.tools.store.store import Store

    name = f"cadencia_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(opts.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = normalize_url(opts.url).rsplit("/", 1)[0] + f"/{name}"
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    try:
        store = Store.open(db_url)
        seed_store(store, seed=7)
        with store.reading() as conn:
            skus = list(conn.execute(select(products.c.sku).order_by(products.c.sku).limit(opts.clients)).scalars())
        serve = ["-m", "cadencia", "serve", "all", "--db", db_url, "--http", "--port"]
        commands = {"cadencia": [sys.executable, *serve]}
        if opts.baseline_python:
            commands["cadencia before"] = [opts.baseline_python, *serve]
        commands["bare SDK server"] = [sys.executable, __file__, "--bare", "--url", db_url, "--port"]
        for label, command in commands.items():
            port = free_port()
            processes[label] = start([*command, str(port)], port, work / f"{label.replace(' ', '_')}.log")
            urls[label] = f"http://127.0.0.1:{port}/mcp"

        def levels() -> dict[str, int]:
            with store.reading() as conn:
                query = select(stock.c.sku, stock.c.on_hand).where(stock.c.warehouse_id == WAREHOUSE)
                found = {sku: on_hand for sku, on_hand in conn.execute(query)}
            return {sku: int(found[sku]) for sku in skus}

        for label, url in urls.items():
            asyncio.run(measure(url, levels(), 3, f"warm-{label}"))
        runs: dict[str, list[Run]] = {label: [] for label in urls}
        for rnd in range(opts.rounds):
            for label, url in urls.items():
                runs[label].append(asyncio.run(measure(url, levels(), opts.calls, f"r{rnd}-{label}")))
        store.close()
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=10)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    print(
        f"\n{opts.clients} clients x {opts.calls} adjust_stock calls at once, {opts.rounds} rounds, PostgreSQL; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| server | calls/s (median round) | p50 ms | p95 ms | p99 ms | calls/s vs bare | p95 vs bare | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    bare = runs["bare SDK server"]
    bare_rate = statistics.median(r.calls_per_s for r in bare)
    bare_p95 = percentile([x for r in bare for x in r.latencies], 95)
    for label, rounds in runs.items():
        lat = [x * 1000 for r in rounds for x in r.latencies]
        rate = statistics.median(r.calls_per_s for r in rounds)
        p95 = percentile(lat, 95)
        print(
            f"| {label} | {rate:.0f} | {percentile(lat, 50):.1f} | {p95:.1f} | {percentile(lat, 99):.1f} | "
            f"{rate / bare_rate:.2f}x | {p95 / (bare_p95 * 1000):.2f}x | {sum(r.errors for r in rounds)} |"
        )


if __name__ == "__main__":
    main()
