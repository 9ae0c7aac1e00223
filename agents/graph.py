"""`build_graph`: the agent's LangGraph, wired. Nodes live in `agents/nodes/`; this module only wires them.

observe → plan → guard ⇄ approve → act → … → verify → (observe | report)
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

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


def build_graph(*, checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """The compiled agent graph. Bring your own checkpointer (SQLite, PostgreSQL, in-memory) to make it durable."""
    graph = StateGraph(AgentState, context_schema=RunContext)
    graph.add_node("observe", observe)
    graph.add_node("plan", plan)
    graph.add_node("guard", guard)
    graph.add_node("approve", approve)
    graph.add_node("act", act)
    graph.add_node("verify", verify)
    graph.add_node("report", report)
    graph.add_edge(START, "observe")
    graph.add_edge("observe", "plan")
    graph.add_conditional_edges("plan", after_plan)
    graph.add_conditional_edges("guard", after_guard)
    graph.add_conditional_edges("approve", after_approve)
    graph.add_conditional_edges("act", after_act)
    graph.add_conditional_edges("verify", after_verify)
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)
