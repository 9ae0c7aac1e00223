"""Assemble a run: connect to the servers, open the audit log and checkpointer, build the gate and the graph."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from cadencia.agents.checkpoints import open_checkpointer
from cadencia.agents.connect import http_toolbox, inprocess_toolbox, proxied_toolbox, stdio_toolbox
from cadencia.agents.context import EnvironmentStep, RunContext
from cadencia.agents.facts_mcp import McpFacts
from cadencia.agents.gate import Gate
from cadencia.agents.goal import Goal
from cadencia.agents.graph import build_graph
from cadencia.agents.guardrails import GuardrailEngine, Policy, default_policy
from cadencia.agents.planners.base import Planner
from cadencia.agents.runs import RunIndex, RunRecord
from cadencia.agents.toolbox import Toolbox
from cadencia.agents.tracing import run_metadata
from cadencia.agents.workdir import Workdir
from cadencia.servers.app import full_registry
from cadencia.servers.safety.guard import ServerSafety
from cadencia.servers.safety.setup import open_safety
from cadencia.servers.sandbox import open_store, sandbox_backends
from cadencia.servers.vendors import load_vendor_config, vendor_backends
from cadencia.tools.approvals import ApprovalStore
from cadencia.tools.audit import AuditLog
from cadencia.tools.limits import Limits
from cadencia.tools.policy.server import ServerPolicy
from cadencia.tools.store.store import Store

INPROCESS = "inprocess"
STDIO = "stdio"
BACKENDS = ";backends="
SHADOW = ";shadow"
PROXY = ";proxy="
"""`inprocess;proxy=OVERLAY`: the embedded server behind the guardrail proxy with that overlay."""


def inprocess_spec(backends: Path | None, *, shadow: bool) -> str:
    """The recorded `servers` value of an in-process run, with the vendor backends file it used (if any)."""
    if backends is None:
        return INPROCESS
    return INPROCESS + BACKENDS + str(backends.resolve()) + (SHADOW if shadow else "")


def parse_inprocess(servers: str) -> tuple[Path | None, bool] | None:
    """(backends file, shadow) of an in-process spec; None when `servers` is not in-process."""
    if servers == INPROCESS:
        return None, False
    if not servers.startswith(INPROCESS + BACKENDS):
        return None
    rest = servers.removeprefix(INPROCESS + BACKENDS)
    shadow = rest.endswith(SHADOW)
    return Path(rest.removesuffix(SHADOW)), shadow


@dataclass
class AgentSession:
    """Everything one run needs; `graph` + `config` + `context` are what LangGraph's invoke takes."""

    run_id: str
    goal: Goal
    workdir: Workdir
    graph: CompiledStateGraph
    context: RunContext
    audit: AuditLog
    toolbox: Toolbox
    store: Store | None
    runs: RunIndex
    record: RunRecord
    """The run as the index holds it when the session opened (an existing run id is resumed, not restarted)."""

    @property
    def config(self) -> RunnableConfig:
        return {"configurable": {"thread_id": self.run_id}, **run_metadata(self.run_id, self.goal)}


@asynccontextmanager
async def connect_servers(
    servers: str,
    workdir: Workdir,
    *,
    token: str | None = None,
    store: Store | None = None,
    limits: Limits | None = None,
    safety: ServerSafety | None = None,
) -> AsyncIterator[tuple[Toolbox, Store | None]]:
    """`inprocess` (embedded default, optionally with vendor backends: `inprocess;backends=FILE[;shadow]`, or behind the
    guardrail proxy: `inprocess;proxy=OVERLAY`), `stdio`
    (subprocess), or space-separated streamable HTTP URLs."""
    inprocess = parse_inprocess(servers)
    if servers.startswith(INPROCESS + PROXY):
        opened = store or open_store(workdir.store)
        try:
            overlay = Path(servers.removeprefix(INPROCESS + PROXY))
            backends = sandbox_backends(opened, limits)
            async with proxied_toolbox(backends, overlay, safety=safety, journal_url=workdir.approvals) as toolbox:
                yield toolbox, opened
        finally:
            if store is None:
                opened.close()
    elif inprocess is not None:
        backends_file, shadow = inprocess
        opened = store or open_store(workdir.store)
        try:
            if backends_file is None:
                async with inprocess_toolbox(sandbox_backends(opened, limits), safety=safety) as toolbox:
                    yield toolbox, opened
            else:
                config, secrets = load_vendor_config(backends_file, shadow=shadow)
                async with (
                    vendor_backends(opened, limits or Limits(), config, secrets) as backends,
                    inprocess_toolbox(backends, safety=safety) as toolbox,
                ):
                    yield toolbox, opened
        finally:
            if store is None:
                opened.close()
    elif servers == STDIO:
        async with stdio_toolbox(workdir.store, workdir.root) as toolbox:
            yield toolbox, None
    else:
        async with http_toolbox(servers.split(), token=token) as toolbox:
            yield toolbox, None


@dataclass(frozen=True)
class RunResources:
    """What one run's graph executes with, without a checkpointer (the caller, or LangGraph's Agent Server, owns
    where state is checkpointed)."""

    context: RunContext
    audit: AuditLog
    toolbox: Toolbox
    store: Store | None


@asynccontextmanager
async def open_run_context(
    *,
    workdir: Workdir,
    goal: Goal,
    run_id: str,
    planner: Planner,
    servers: str = INPROCESS,
    policy: Policy | None = None,
    token: str | None = None,
    store: Store | None = None,
    advance: EnvironmentStep | None = None,
    max_cycles: int | None = None,
    limits: Limits | None = None,
    server_policy: ServerPolicy | None = None,
) -> AsyncIterator[RunResources]:
    """Connect the servers and open the audit log and approval store of `workdir`: the `RunContext` of one run."""
    async with AsyncExitStack() as stack:
        safety = None
        if server_policy is not None:
            safety = stack.enter_context(open_safety(server_policy, root=workdir.root, registry=full_registry()))
        toolbox, opened = await stack.enter_async_context(
            connect_servers(servers, workdir, token=token, store=store, limits=limits, safety=safety)
        )
        audit = AuditLog.open(workdir.audit, key_path=workdir.signing_key)
        stack.callback(audit.close)
        approvals = ApprovalStore.open(workdir.approvals)
        stack.callback(approvals.close)
        gate = Gate(
            run_id=run_id,
            goal=goal,
            toolbox=toolbox,
            engine=GuardrailEngine(policy or default_policy()),
            facts=McpFacts(toolbox),
            audit=audit,
            approvals=approvals,
        )
        context = RunContext(
            toolbox=toolbox,
            gate=gate,
            planner=planner,
            advance=advance,
            max_cycles=max_cycles or goal.kpi.horizon_days,
        )
        yield RunResources(context=context, audit=audit, toolbox=toolbox, store=opened)


@asynccontextmanager
async def open_session(
    *,
    workdir: Workdir,
    goal: Goal,
    run_id: str,
    planner: Planner,
    servers: str = INPROCESS,
    policy: Policy | None = None,
    token: str | None = None,
    store: Store | None = None,
    advance: EnvironmentStep | None = None,
    max_cycles: int | None = None,
    limits: Limits | None = None,
    planner_spec: str | None = None,
    kind: str = "embedded",
    server_policy: ServerPolicy | None = None,
) -> AsyncIterator[AgentSession]:
    """Open one run's session and record the run in the workdir's run index (every run is there, however started).

    `planner_spec` is how the index names the planner to rebuild it (`heuristic:`, `llm:openai:gpt-4.1`); `kind`
    tells runs apart in listings (`run`, `demo`, `embedded`, `eval`). An existing `run_id` keeps its record.
    `server_policy` holds the in-process server to it (approvals, budgets, freeze, audit in `workdir`), as
    `cadencia serve` holds every client; the gate's approvals are the server's, so nobody is asked twice.
    """
    runs = RunIndex(workdir.runs)
    record = runs.add(
        run_id=run_id,
        goal_json=goal.model_dump_json(),
        planner=planner_spec or f"{planner.name}:",
        servers=servers,
        policy_json=policy.model_dump_json() if policy else None,
        max_cycles=max_cycles,
        kind=kind,
    )
    async with (
        open_run_context(
            workdir=workdir,
            goal=goal,
            run_id=run_id,
            planner=planner,
            servers=servers,
            policy=policy,
            token=token,
            store=store,
            advance=advance,
            max_cycles=max_cycles,
            limits=limits,
            server_policy=server_policy,
        ) as resources,
        open_checkpointer(workdir.checkpoints) as saver,
    ):
        yield AgentSession(
            run_id=run_id,
            goal=goal,
            workdir=workdir,
            graph=build_graph(checkpointer=saver),
            context=resources.context,
            audit=resources.audit,
            toolbox=resources.toolbox,
            store=resources.store,
            runs=runs,
            record=record,
        )
