"""The graph LangGraph's Agent Server serves (`langgraph.json` names `cadencia_graph`): `langgraph dev` locally,
LangGraph Platform or a self-hosted Agent Server in production.

A thread is one run (its id is the thread id). The factory builds the run's `RunContext` as `cadencia run` does:
the goal, planner, policy and cycle limit come from the assistant's configuration (else the environment), where
state lives and which servers to call from the environment only. The server owns the checkpoints; approvals, the
audit log and the run index are the workdir's, so `cadencia approvals`, the inbox and `cadencia runs` see these
runs too. Threads pause on the same approval interrupt and resume with `Command(resume={...})`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from cadencia.agents.context import RunContext
from cadencia.agents.driver import RunClosed, fresh_state
from cadencia.agents.goal import Goal
from cadencia.agents.graph import ENTRY, add_agent, bind_context
from cadencia.agents.guardrails import Policy, load_policy
from cadencia.agents.planners.factory import make_planner
from cadencia.agents.runs import RunIndex, RunRecord, RunStatus
from cadencia.agents.session import INPROCESS, open_run_context
from cadencia.agents.state import AgentState
from cadencia.agents.tracing import agent_span, run_metadata
from cadencia.agents.workdir import Workdir
from cadencia.tools.audit import AuditKind

if TYPE_CHECKING:
    from langgraph_sdk.runtime import ServerRuntime

GRAPH_ID = "cadencia"
RUN_KIND = "agent-server"
BUNDLED_GOAL = "spring_launch.yaml"


class ServerSettings(BaseModel):
    """What a thread runs: per assistant (its `configurable`) or per deployment (`CADENCIA_*` environment)."""

    goal: Path | None = Field(None, description="Goal YAML (default: $CADENCIA_GOAL, else the bundled example).")
    planner: str = Field("heuristic", description="heuristic or llm ($CADENCIA_PLANNER).")
    model: str | None = Field(None, description="For the llm planner: provider:model ($CADENCIA_MODEL).")
    policy: Path | None = Field(None, description="Guardrail policy YAML ($CADENCIA_POLICY; default: built-in).")
    max_cycles: int | None = Field(None, ge=1, description="Stop after this many cycles ($CADENCIA_MAX_CYCLES).")

    @classmethod
    def from_config(cls, config: RunnableConfig, environ: Mapping[str, str] = os.environ) -> ServerSettings:
        """The assistant's configuration over the environment; unset keys keep the defaults."""
        configurable = config.get("configurable") or {}
        values: dict[str, object] = {}
        for name in cls.model_fields:
            value = configurable.get(name, environ.get(f"CADENCIA_{name.upper()}"))
            if value not in (None, ""):
                values[name] = value
        return cls.model_validate(values)

    def load_goal(self) -> Goal:
        if self.goal is not None:
            return Goal.from_yaml(self.goal)
        bundled = files("cadencia.agents.goals").joinpath(BUNDLED_GOAL).read_text(encoding="utf-8")
        return Goal.from_yaml_text(bundled, source=BUNDLED_GOAL)

    def load_policy(self) -> Policy | None:
        return load_policy(self.policy) if self.policy is not None else None


class ServerInput(TypedDict, total=False):
    """A thread's input: nothing — the run's goal comes from the assistant's configuration."""


async def begin(state: AgentState, runtime: Runtime[RunContext]) -> AgentState:
    """Start the thread's run: audit its start and fill the first state. A thread runs one goal once."""
    if state.get("run_id"):
        raise RunClosed(f"thread {state['run_id']!r} already ran its goal; start a new thread for a new run")
    gate = runtime.context.gate
    gate.record(AuditKind.RUN, {"event": "start", "goal": gate.goal.model_dump(mode="json")})
    return fresh_state(gate.run_id, gate.goal)


def build_server_graph(*, context: RunContext | None = None) -> CompiledStateGraph:
    """begin → the agent graph; `context` is bound when executing (reads of state and schemas need none)."""
    graph = StateGraph(AgentState, input_schema=ServerInput)
    graph.add_node("begin", begin if context is None else bind_context(begin, context))
    add_agent(graph, context=context)
    graph.add_edge(START, "begin")
    graph.add_edge("begin", ENTRY)
    return graph.compile(name=GRAPH_ID)


def _record(runs: RunIndex, run_id: str, settings: ServerSettings) -> RunRecord:
    """The thread's run in the index: recorded at its first run, reopened as recorded afterwards."""
    policy = settings.load_policy()
    return runs.add(
        run_id=run_id,
        goal_json=settings.load_goal().model_dump_json(),
        planner=f"{settings.planner}:{settings.model or ''}",
        servers=os.environ.get("CADENCIA_SERVERS") or INPROCESS,
        policy_json=policy.model_dump_json() if policy else None,
        max_cycles=settings.max_cycles,
        kind=RUN_KIND,
    )


@asynccontextmanager
async def cadencia_graph(config: RunnableConfig, runtime: ServerRuntime) -> AsyncIterator[CompiledStateGraph]:
    """The Agent Server's graph factory: connects servers, audit and approvals only when a run executes."""
    if runtime.execution_runtime is None:
        yield build_server_graph()
        return
    run_id = str((config.get("configurable") or {})["thread_id"])
    workdir = Workdir.at(None)
    runs = RunIndex(workdir.runs)
    record = _record(runs, run_id, ServerSettings.from_config(config))
    if record.state.closed or record.busy:
        raise RunClosed(f"run {run_id!r} is {record.state.value}; start a new thread")
    kind, _, model = record.planner.partition(":")
    goal = Goal.model_validate_json(record.goal)
    async with open_run_context(
        workdir=workdir,
        goal=goal,
        run_id=run_id,
        planner=make_planner(kind, model=model or None),
        servers=record.servers,
        policy=Policy.model_validate_json(record.policy) if record.policy else None,
        token=os.environ.get("CADENCIA_TOKEN"),
        max_cycles=record.max_cycles,
    ) as resources:
        runs.set_status(run_id, RunStatus.RUNNING)
        with agent_span(run_id=run_id, goal_id=goal.id, host=RUN_KIND) as traced:
            try:
                yield build_server_graph(context=resources.context).with_config(run_metadata(run_id, goal))
            except BaseException:
                runs.set_status(run_id, RunStatus.INTERRUPTED)
                raise
            waiting = resources.context.gate.approvals.pending(run_id=run_id)
            status = RunStatus.WAITING_APPROVAL if waiting else RunStatus.DONE
            runs.set_status(run_id, status)
            traced.set("cadencia.outcome", status.value)
            traced.set("cadencia.approval.id", waiting[0].approval_id if waiting else None)
