"""Per-action overhead of Cadencia's choke point (policy + reversibility + audit + SQLite checkpoint per step)
against a bare LangGraph ToolNode executing the same MCP tool calls, measured in the same run.

Usage: python bench/bench_chokepoint.py [--actions 200] [--repeat 3]

Besides wall time per action it prints CPU time per action (the steadier figure on a shared machine), the bytes of
checkpoint written per action (the checkpoint database's size) and the MCP tool calls made per action.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from cadencia.agents.actions import ProposedAction
from cadencia.agents.connect import inprocess_toolbox
from cadencia.agents.driver import drive
from cadencia.agents.goal import Goal
from cadencia.agents.planners.base import Plan, PlanningInput
from cadencia.agents.session import open_session
from cadencia.agents.toolbox import Toolbox
from cadencia.agents.workdir import Workdir
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.seed import seed_store
from cadencia.tools.store.store import Store

SKU = "ML-000001"
PRICES = (2690, 2790)


def calls(n: int) -> list[dict[str, object]]:
    """Alternating, always-valid price changes (within the floor and the max change)."""
    return [{"sku": SKU, "price_minor": PRICES[(i + 1) % 2], "currency": "EUR"} for i in range(n)]


class FixedPlanner:
    name = "bench"

    def __init__(self, n: int) -> None:
        self.n = n

    async def plan(self, request: PlanningInput, toolbox: Toolbox) -> Plan:
        if request.cycle > 0:
            return Plan(actions=[])
        return Plan(
            actions=[
                ProposedAction(id="x", tool="inventory_set_price", args=args, source="planner:bench")  # type: ignore[arg-type]
                for args in calls(self.n)
            ]
        )


def goal(n: int) -> Goal:
    return Goal.model_validate(
        {
            "id": "bench",
            "objective": "benchmark",
            "kpi": {"metric": "revenue", "target": 1e12, "horizon_days": 1},
            "autonomy": {"max_actions": n + 10, "max_tool_calls": 100 * n},
        }
    )


def fresh_store(folder: Path, template: Path) -> Store:
    target = folder / "store.db"
    shutil.copyfile(template, target)
    return Store.open(target)


@dataclass(frozen=True)
class Measured:
    """Per action: wall seconds, CPU seconds, checkpoint bytes written and MCP tool calls made."""

    wall: float
    cpu: float
    checkpoint_bytes: float = 0.0
    tool_calls: float = 1.0


def _checkpoint_bytes(workdir: Path) -> int:
    return sum(f.stat().st_size for f in workdir.glob("checkpoints.db*"))


async def bare_toolnode(template: Path, n: int) -> Measured:
    """Per call: a graph with one ToolNode, fed one AIMessage per call, no guard, no audit, no checkpoint."""
    with tempfile.TemporaryDirectory() as tmp:
        store = fresh_store(Path(tmp), template)
        async with inprocess_toolbox(sandbox_backends(store)) as toolbox:
            builder = StateGraph(MessagesState)
            builder.add_node("tools", ToolNode([toolbox.tools["inventory_set_price"]]))
            builder.add_edge(START, "tools")
            builder.add_edge("tools", END)
            graph = builder.compile()
            started, cpu = time.perf_counter(), time.process_time()
            for i, args in enumerate(calls(n)):
                message = AIMessage("", tool_calls=[{"id": f"c{i}", "name": "inventory_set_price", "args": args}])
                await graph.ainvoke({"messages": [message]})
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        store.close()
    return Measured(wall=elapsed / n, cpu=cpu / n)


async def choke_point(template: Path, n: int) -> Measured:
    """Per action through guard → act with audit and a SQLite checkpointer (the run's fixed cost included)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = fresh_store(Path(tmp), template)
        workdir = Workdir.at(Path(tmp) / "work")
        async with open_session(
            workdir=workdir, goal=goal(n), run_id="bench", planner=FixedPlanner(n), store=store, max_cycles=1
        ) as session:
            started, cpu = time.perf_counter(), time.process_time()
            result = await drive(session)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            executed = (await session.graph.aget_state(session.config)).values["executed"]
            calls_made = session.toolbox.calls
        written = _checkpoint_bytes(workdir.root)
        store.close()
    assert result.report is not None and sum(e.ok for e in executed) == n, "every bench action must execute"
    return Measured(wall=elapsed / n, cpu=cpu / n, checkpoint_bytes=written / n, tool_calls=calls_made / n)


def _median(runs: list[Measured]) -> Measured:
    return Measured(
        wall=statistics.median(r.wall for r in runs),
        cpu=statistics.median(r.cpu for r in runs),
        checkpoint_bytes=statistics.median(r.checkpoint_bytes for r in runs),
        tool_calls=statistics.median(r.tool_calls for r in runs),
    )


async def main(n: int, repeat: int, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        seeded = Store.open(template)
        seed_store(seeded, seed=7)
        seeded.close()
        bare_runs: list[Measured] = []
        ours_runs: list[Measured] = []
        for _ in range(repeat):  # alternated, so both see the same load
            bare_runs.append(await bare_toolnode(template, n))
            ours_runs.append(await choke_point(template, n))
    b, o = _median(bare_runs), _median(ours_runs)
    print(
        f"| setup | actions | ms/action (median of {repeat}) | ratio | CPU ms/action | CPU ratio "
        "| checkpoint KB/action | tool calls/action |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| bare LangGraph ToolNode, same MCP tool (baseline) | {n} | {b.wall * 1000:.2f} | 1.00 | {b.cpu * 1000:.2f} "
        f"| 1.00 | — | {b.tool_calls:.2f} |"
    )
    print(
        f"| Cadencia choke point{label} | {n} | {o.wall * 1000:.2f} | {o.wall / b.wall:.2f} | {o.cpu * 1000:.2f} "
        f"| {o.cpu / b.cpu:.2f} | {o.checkpoint_bytes / 1024:.1f} | {o.tool_calls:.2f} |"
    )
    print(f"\noverhead per action: {(o.wall - b.wall) * 1000:.2f} ms wall, {(o.cpu - b.cpu) * 1000:.2f} ms CPU")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--label", default="", help="appended to the Cadencia row's name (e.g. ' (before)')")
    args = parser.parse_args()
    asyncio.run(main(args.actions, args.repeat, args.label))
