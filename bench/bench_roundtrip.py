"""Round trip of a Cadencia read tool against a bare SDK echo tool, over stdio and streamable HTTP.

Baseline: a server built with nothing but the MCP SDK, one `echo(text) -> str` tool, called by a bare SDK
client (`ClientSession` on 1.x, `Client` on 2.x), measured in the same run and interleaved round by round with the
Cadencia calls, so both see the same machine load. Cadencia: `inventory_get_product` on `cadencia serve all` (a
seeded small sandbox), called (a) by the same bare SDK client and (b) through Cadencia's own client path
(`Toolbox.read`, what the agent uses).

Also: what the client's check of each result against the tool's published output schema costs per call, with the
schema Cadencia publishes (`{"type": "object"}`), the SDK 2.x client's own check (`validate_tool_result`, a validator
compiled once per tool), and a full result schema validated the 2.x way (compiled once) and the 1.x way
(`jsonschema.validate`, compiled on every call).

Usage: python bench/bench_roundtrip.py [--calls 200] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema
from mcp import StdioServerParameters
from pydantic import TypeAdapter

from cadencia.agents.connect import http_toolbox, stdio_toolbox
from cadencia.tools.inventory.models import Product
from cadencia.tools.seed import Scale, seed_store
from cadencia.tools.store.store import Store

TOOL = "inventory_get_product"


def serve_echo(port: int | None) -> None:
    """The baseline server: the SDK's high-level server with one trivial tool (stdio, or stateless JSON HTTP)."""
    try:
        from mcp.server.mcpserver import MCPServer  # SDK 2.x: transport settings go to run()
    except ImportError:  # SDK 1.x (measuring "before"): they go to the constructor
        from mcp.server.fastmcp import FastMCP

        http = {"port": port, "json_response": True, "stateless_http": True} if port is not None else {}
        server: Any = FastMCP("echo", log_level="WARNING", **http)
        run: dict[str, Any] = {}
    else:
        server = MCPServer("echo", log_level="WARNING")
        run = {"port": port, "json_response": True, "stateless_http": True} if port is not None else {}

    @server.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return text

    if port is None:
        server.run("stdio")
    else:
        server.run("streamable-http", **run)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def structured(result: Any) -> Any:
    return getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)


@asynccontextmanager
async def sdk_session(transport: str, command: list[str], url: str | None) -> AsyncIterator[Any]:
    """A bare SDK client over stdio (a subprocess) or HTTP (an already running server), defaults untouched."""
    try:
        from mcp import Client  # SDK 2.x
    except ImportError:
        Client = None
    if Client is not None:
        target: Any = StdioServerParameters(command=command[0], args=command[1:]) if transport == "stdio" else url
        async with Client(target) as client:
            yield client
        return
    from mcp import ClientSession  # SDK 1.x
    from mcp.client.stdio import stdio_client

    if transport == "stdio":
        params = StdioServerParameters(command=command[0], args=command[1:])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session
        return
    import httpx
    from mcp.client.streamable_http import streamable_http_client

    assert url is not None
    async with (
        httpx.AsyncClient(timeout=60) as http,
        streamable_http_client(url, http_client=http) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def timed(call: Callable[[], Awaitable[Any]], n: int) -> float:
    """Mean milliseconds per call over `n` sequential calls (after 5 warm-up calls)."""
    for _ in range(5):
        await call()
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - start) * 1000 / n


def micros(check: Callable[[], Any], n: int = 500) -> float:
    """Mean microseconds of `check()` over `n` calls."""
    check()
    start = time.perf_counter()
    for _ in range(n):
        check()
    return (time.perf_counter() - start) * 1e6 / n


async def validation_costs(client: Any, sku: str) -> dict[str, float]:
    """Microseconds per call the client spends checking one `inventory_get_product` result against a schema."""
    result = await client.call_tool(TOOL, {"sku": sku})
    content = structured(result)
    full = TypeAdapter(Product).json_schema()
    published = next(t for t in (await client.list_tools()).tools if t.name == TOOL).output_schema
    lean = jsonschema.validators.validator_for(published)(published)
    compiled = jsonschema.validators.validator_for(full)(full)
    sdk_start = time.perf_counter()
    for _ in range(500):
        await client.session.validate_tool_result(TOOL, result)
    return {
        "published schema " + json.dumps(published) + ", compiled once": micros(lambda: lean.validate(content)),
        "SDK client's own check (validate_tool_result)": (time.perf_counter() - sdk_start) * 1e6 / 500,
        f"full result schema ({len(json.dumps(full)):,} chars), compiled once": micros(
            lambda: compiled.validate(content)
        ),
        "full result schema, jsonschema.validate per call (1.x)": micros(
            lambda: jsonschema.validate(content, full), 100
        ),
    }


async def measure(transport: str, db: Path, calls: int, rounds: int) -> dict[str, list[float]]:
    me = [sys.executable, str(Path(__file__).resolve())]
    cadencia = [sys.executable, "-m", "cadencia", "serve", "all", "--db", str(db)]
    procs: list[subprocess.Popen[bytes]] = []
    echo_url = read_url = None
    if transport == "http":
        echo_port, read_port = free_port(), free_port()
        procs.append(subprocess.Popen([*me, "--serve-echo", "--port", str(echo_port)], stderr=subprocess.PIPE))
        procs.append(subprocess.Popen([*cadencia, "--http", "--port", str(read_port)], stderr=subprocess.PIPE))
        wait_port(echo_port, procs[0])
        wait_port(read_port, procs[1])
        echo_url, read_url = f"http://127.0.0.1:{echo_port}/mcp", f"http://127.0.0.1:{read_port}/mcp"
    times: dict[str, list[float]] = {
        "echo (bare SDK server and client)": [],
        "read, bare SDK client": [],
        "read, Cadencia Toolbox": [],
    }
    try:
        toolbox_cm = stdio_toolbox(str(db)) if transport == "stdio" else http_toolbox([read_url or ""])
        async with (
            sdk_session(transport, [*me, "--serve-echo"], echo_url) as echo,
            sdk_session(transport, cadencia, read_url) as reader,
            toolbox_cm as toolbox,
        ):
            page = structured(await reader.call_tool("inventory_list_products", {"limit": 1}))
            sku = page["items"][0]["sku"]
            if transport == "stdio" and hasattr(reader, "session"):
                for label, value in (await validation_costs(reader, sku)).items():
                    print(f"validation  {label:<70} {value:>8.1f} µs/call")
            for _ in range(rounds):
                times["echo (bare SDK server and client)"].append(
                    await timed(lambda: echo.call_tool("echo", {"text": "hello"}), calls)
                )
                times["read, bare SDK client"].append(await timed(lambda: reader.call_tool(TOOL, {"sku": sku}), calls))
                times["read, Cadencia Toolbox"].append(await timed(lambda: toolbox.read(TOOL, {"sku": sku}), calls))
                assert (await toolbox.read(TOOL, {"sku": sku}) or {}).get("sku") == sku
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo(args.port)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sandbox.db"
        store = Store.open(str(db))
        seed_store(store, seed=7, scale=Scale.SMALL)
        store.close()
        results: dict[str, Any] = {"mcp": version("mcp"), "calls": args.calls, "rounds": args.rounds, "rows": []}
        print(f"mcp {results['mcp']}; {args.calls} calls x {args.rounds} rounds; median of round means")
        print(f"{'transport':<9} {'client':<36} {'ms/call':>8} {'ratio':>6}")
        for transport in ("stdio", "http"):
            times = asyncio.run(measure(transport, db, args.calls, args.rounds))
            base = statistics.median(next(iter(times.values())))
            for label, values in times.items():
                ms = statistics.median(values)
                results["rows"].append({"transport": transport, "client": label, "ms": ms, "ratio": ms / base})
                print(f"{transport:<9} {label:<36} {ms:>8.2f} {ms / base:>6.2f}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
