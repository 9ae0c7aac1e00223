"""OpenTelemetry spans of a graph run (GenAI conventions + cadencia.* attributes), off unless configured, and the
LangSmith run metadata (goal, run id) on the graph's root run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.agents import answer, session_for
from langchain_core.tracers.context import collect_runs
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cadencia.agents.approvals import ApprovalChoice
from cadencia.agents.driver import DriveStatus, drive
from cadencia.tools.audit import AuditKind
from cadencia.tools.store.store import Store


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """An in-memory exporter on the process's tracer provider (installed once; reused if a provider exists)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exported = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    yield exported
    exported.shutdown()


def _ours(exported: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exported.get_finished_spans() if s.instrumentation_scope.name == "cadencia"]


async def test_a_traced_run_has_an_agent_span_and_one_tool_span_per_call_with_guard_and_audit_attributes(
    store: Store, tmp_path: Path, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CADENCIA_OTEL", "1")
    exporter.clear()
    async with session_for(store, tmp_path, run_id="run-traced") as session:
        result = await drive(session, approver=answer(ApprovalChoice.APPROVE))
        executions = {
            r.payload["action_id"]: r
            for r in session.audit.records(run_id="run-traced")
            if r.kind is AuditKind.EXECUTION
        }
    assert result.status is DriveStatus.DONE and executions

    spans = _ours(exporter)
    (agent,) = [s for s in spans if s.attributes["gen_ai.operation.name"] == "invoke_agent"]
    assert agent.name == "invoke_agent cadencia"
    assert agent.attributes["gen_ai.agent.name"] == "cadencia"
    assert agent.attributes["gen_ai.conversation.id"] == "run-traced"
    assert agent.attributes["cadencia.goal_id"] == "test-goal" and agent.attributes["cadencia.outcome"] == "done"

    tools = [s for s in spans if s.attributes["gen_ai.operation.name"] == "execute_tool"]
    assert len(tools) == len(executions), "one execute_tool span per executed call"
    approved = 0
    for span in tools:
        attrs = span.attributes
        record = executions[attrs["gen_ai.tool.call.id"]]
        assert (
            span.name == f"execute_tool {attrs['gen_ai.tool.name']}"
            and attrs["gen_ai.tool.name"] == record.payload["tool"]
        )
        assert span.parent is not None and span.parent.span_id == agent.context.span_id
        assert attrs["cadencia.audit.seq"] == record.seq
        assert attrs["cadencia.reversibility"] == record.payload["reversibility"]
        assert attrs["cadencia.idempotency_key"] == record.payload["idempotency_key"]
        assert attrs["cadencia.guardrail.decision"] in {"allow", "require_approval"}
        if attrs["cadencia.guardrail.decision"] == "require_approval":
            approved += 1
            assert attrs["cadencia.approval.id"] == f"run-traced/{attrs['gen_ai.tool.call.id']}"
        else:
            assert "cadencia.approval.id" not in attrs
    assert approved >= 1, "the run executed at least one approved action"


async def test_untraced_runs_emit_no_spans_and_carry_goal_and_run_id_as_langsmith_metadata(
    store: Store, tmp_path: Path, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CADENCIA_OTEL", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    exporter.clear()
    with collect_runs() as collected:
        async with session_for(store, tmp_path, run_id="run-meta") as session:
            await drive(session, approver=answer(ApprovalChoice.REJECT))
    assert _ours(exporter) == [], "tracing is off unless configured"
    graph_runs = [r for r in collected.traced_runs if r.name == "cadencia test-goal"]
    assert graph_runs, "the start and each resume are root runs named after the goal"
    for root in graph_runs:
        assert root.parent_run_id is None
        assert root.extra["metadata"]["cadencia_run_id"] == "run-meta"
        assert root.extra["metadata"]["cadencia_goal_id"] == "test-goal"
        assert {"cadencia", "goal:test-goal"} <= set(root.tags or [])


def test_the_core_runs_without_opentelemetry_installed() -> None:
    script = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "import cadencia.agents.graph, cadencia.agents.tracing as t\n"
        "assert not t.enabled({'CADENCIA_OTEL': '1'})\n"
        "with t.tool_span(tool='x', call_id='c', run_id='r', decision='allow', reversibility='reversible',"
        " approval_id=None, idempotency_key='k') as s: s.set('a', 1)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
