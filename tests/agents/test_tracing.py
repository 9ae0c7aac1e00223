"""OpenTelemetry spans of a graph run (GenAI conventions + cadencia.* attributes), off unless configured, and the
LangSmith run metadata (goal, run id) on the graph's root run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

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


class _Collector(BaseHTTPRequestHandler):
    """A stand-in OTLP/HTTP collector on loopback: keeps what it is sent."""

    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_an_otlp_endpoint_alone_turns_tracing_on_and_exports_there() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script = (
        "import cadencia.agents.tracing as t\n"
        "with t.agent_span(run_id='r1', goal_id='g', host='test'):\n"
        "    with t.tool_span(tool='ads_set_budget', call_id='c1', run_id='r1', decision='allow',"
        " reversibility='reversible', approval_id=None, idempotency_key='k1') as s: s.set('cadencia.audit.seq', 7)\n"
    )
    env = os.environ | {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}"}
    env.pop("CADENCIA_OTEL", None)
    try:
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120, env=env)
    finally:
        server.shutdown()
    paths = [path for path, _ in _Collector.received]
    sent = b"".join(body for _, body in _Collector.received)
    assert paths and set(paths) == {"/v1/traces"}
    assert b"execute_tool ads_set_budget" in sent and b"invoke_agent cadencia" in sent
    assert b"cadencia.guardrail.decision" in sent and b"cadencia.audit.seq" in sent
