"""`build_graph`: the agent's LangGraph, wired. Nodes live in `agents/nodes/`; this module only wires them.

observe → plan → guard ⇄ approve → act → … → verify → (observe | report)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from cadencia.agents.context import RunContext
from cadencia.agents.nodes.act import act
from cadencia.agents.nodes.approve import approve
from cadencia.agents.nodes.guard import guard
from cadencia.agents.nodes.observe import observe
from cadencia.agents.nodes.plan import plan
from cadencia.agents.nodes.report import report
from cadencia.agents.nodes.routes import after_act, after_approve, after_guard, after_plan, after_verify
from cadencia.agents.nodes.verify import verify
from cadencia.agents.state import AgentState

Node = Callable[[AgentState, Runtime[RunContext]], Awaitable[AgentState]]
ENTRY = "observe"
"""The node a run starts at."""

NODES: dict[str, Node] = {
    "observe": observe,
    "plan": plan,
    "guard": guard,
    "approve": approve,
    "act": act,
    "verify": verify,
    "report": report,
}


def bind_context(node: Node, context: RunContext) -> Node:
    """`node` with its runtime context fixed: for hosts that build the context themselves (the Agent Server)."""

    async def bound(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
        return await node(state, runtime.override(context=context))

    return bound


def add_agent(graph: StateGraph, *, context: RunContext | None = None) -> None:
    """Add the agent's nodes and edges to `graph` (from `ENTRY` to END); `context` binds each node's context."""
    for name, node in NODES.items():
        graph.add_node(name, node if context is None else bind_context(node, context))
    graph.add_edge("observe", "plan")
    graph.add_conditional_edges("plan", after_plan)
    graph.add_conditional_edges("guard", after_guard)
    graph.add_conditional_edges("approve", after_approve)
    graph.add_conditional_edges("act", after_act)
    graph.add_conditional_edges("verify", after_verify)
    graph.add_edge("report", END)


def build_graph(*, checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """The compiled agent graph. Bring your own checkpointer (SQLite, PostgreSQL, in-memory) to make it durable."""
    graph = StateGraph(AgentState, context_schema=RunContext)
    add_agent(graph)
    graph.add_edge(START, ENTRY)
    return graph.compile(checkpointer=checkpointer)
