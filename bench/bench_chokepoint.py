"""Per-action overhead of Cadencia's choke point (policy + reversibility + audit + SQLite checkpoint per step)
against a bare LangGraph ToolNode executing the same MCP tool calls, measured in the same run.

Usage: python bench/bench_chokepoint.py [--actions 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
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


async def bare_toolnode(template: Path, n: int) -> float:
    """Seconds per call: a graph with one ToolNode, fed one AIMessage per call, no guard, no audit, no checkpoint."""
    with tempfile.TemporaryDirectory() as tmp:
        store = fresh_store(Path(tmp), template)
        async with inprocess_toolbox(sandbox_backends(store)) as toolbox:
            builder = StateGraph(MessagesState)
            builder.add_node("tools", ToolNode([toolbox.tools["inventory_set_price"]]))
            builder.add_edge(START, "tools")
            builder.add_edge("tools", END)
            graph = builder.compile()
            started = time.perf_counter()
            for i, args in enumerate(calls(n)):
                message = AIMessage("", tool_calls=[{"id": f"c{i}", "name": "inventory_set_price", "args": args}])
                await graph.ainvoke({"messages": [message]})
            elapsed = time.perf_counter() - started
        store.close()
    return elapsed / n


async def choke_point(template: Path, n: int) -> tuple[float, float]:
    """Seconds per action through guard → act with audit and a SQLite checkpointer; and the fixed per-run cost."""
    with tempfile.TemporaryDirectory() as tmp:
        store = fresh_store(Path(tmp), template)
        async with open_session(
            workdir=Workdir.at(Path(tmp) / "work"),
            goal=goal(n),
            run_id="bench",
            planner=FixedPlanner(n),
            store=store,
            max_cycles=1,
        ) as session:
            started = time.perf_counter()
            result = await drive(session)
            elapsed = time.perf_counter() - started
            executed = (await session.graph.aget_state(session.config)).values["executed"]
        store.close()
    assert result.report is not None and sum(e.ok for e in executed) == n, "every bench action must execute"
    return elapsed / n, elapsed


async def main(n: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        seeded = Store.open(template)
        seed_store(seeded, seed=7)
        seeded.close()
        bare = [await bare_toolnode(template, n) for _ in range(repeat)]
        ours = [(await choke_point(template, n))[0] for _ in range(repeat)]
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"| setup | actions | ms/action (median of {repeat}) | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| bare LangGraph ToolNode, same MCP tool (baseline) | {n} | {b * 1000:.2f} | 1.00 |")
    print(f"| Cadencia choke point: policy + reversibility + audit + checkpoint | {n} | {o * 1000:.2f} | {o / b:.2f} |")
    print(f"\noverhead per action: {(o - b) * 1000:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.actions, args.repeat))
