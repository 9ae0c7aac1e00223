"""Start-up: `cadencia --version` and `cadencia serve all` answering `initialize`, against baselines measured in the
same run (`python -c pass`, importing every command's module as the CLI did before lazy imports, and a bare MCP SDK
server over stdio).

Wall time and CPU time (user + system of the child) per case, median of `--repeat` runs.

Usage: python bench/bench_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

PY = sys.executable
EAGER = "import cadencia.agents.cli, cadencia.agents.approvals_cli, cadencia.evals.cli, cadencia.evals.cli_demo, "
EAGER += (
    "cadencia.servers.cli, cadencia.servers.audit_cli, cadencia.servers.vendors_cli, cadencia.agents.guardrails.cli"
)
BARE_SERVER = """
from mcp.server.mcpserver import MCPServer

mcp = MCPServer("bare")


@mcp.tool()
def ping() -> str:
    \"\"\"Answer pong.\"\"\"
    return "pong"


mcp.run()
"""


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(run: Callable[[], None], repeat: int) -> tuple[float, float]:
    """Median wall and median child CPU seconds of `run`."""
    walls, cpus = [], []
    for _ in range(repeat):
        cpu, start = child_cpu(), time.perf_counter()
        run()
        walls.append(time.perf_counter() - start)
        cpus.append(child_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def command(args: list[str]) -> Callable[[], None]:
    return lambda: subprocess.run(args, check=True, capture_output=True)


def initialize(args: list[str]) -> Callable[[], None]:
    """Spawn a stdio server and return once it has answered `initialize` (then close it)."""

    async def once() -> None:
        params = StdioServerParameters(command=args[0], args=args[1:])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()

    return lambda: anyio.run(once)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sandbox.db"
        subprocess.run([PY, "-m", "cadencia", "seed", "--db", str(db)], check=True, capture_output=True)
        bare = Path(tmp) / "bare_server.py"
        bare.write_text(BARE_SERVER, encoding="utf-8")
        cases = {
            "python -c pass": command([PY, "-c", "pass"]),
            "import every command module (eager CLI)": command([PY, "-c", EAGER]),
            "cadencia --version": command([PY, "-m", "cadencia", "--version"]),
            "cadencia --help": command([PY, "-m", "cadencia", "--help"]),
            "bare SDK server: initialize": initialize([PY, str(bare)]),
            "cadencia serve all: initialize": initialize([PY, "-m", "cadencia", "serve", "all", "--db", str(db)]),
        }
        results = {name: timed(run, repeat) for name, run in cases.items()}
    base_wall, base_cpu = results["python -c pass"]
    sdk_wall, sdk_cpu = results["bare SDK server: initialize"]
    print(f"| case | wall s | CPU s | wall ÷ `python -c pass` | wall ÷ bare SDK server |  (median of {repeat})")
    print("|---|---:|---:|---:|---:|")
    for name, (wall, cpu) in results.items():
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {wall / base_wall:.1f}× | {wall / sdk_wall:.2f}× |")
    print(f"CPU ratios: --version {results['cadencia --version'][1] / base_cpu:.1f}× python -c pass; serve all")
    print(f"initialize {results['cadencia serve all: initialize'][1] / sdk_cpu:.2f}× the bare SDK server")


if __name__ == "__main__":
    main()
