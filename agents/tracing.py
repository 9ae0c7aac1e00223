"""OpenTelemetry spans for graph runs (`invoke_agent`) and tool calls (`execute_tool`), named and attributed as the
GenAI semantic conventions say, with what only Cadencia knows (guardrail decision, reversibility, approval id,
audit sequence) under `cadencia.*`.

Off unless configured: `CADENCIA_OTEL=1`, or the standard `OTEL_EXPORTER_OTLP_ENDPOINT` /
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (`CADENCIA_OTEL=0` turns it off again). Spans go to the process's tracer
provider; when none is set and an OTLP endpoint is, one exporting there is installed. Needs the `otel` extra; without
it the core runs as before and nothing is traced.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig

from cadencia.agents.goal import Goal

try:
    from opentelemetry import trace as otel_trace
except ImportError:  # the `otel` extra is not installed: tracing stays off
    otel_trace = None

logger = logging.getLogger(__name__)

AGENT_NAME = "cadencia"
TRACER_NAME = "cadencia"
FLAG = "CADENCIA_OTEL"
ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
Attribute = str | bool | int | float


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether to trace: the `otel` extra is installed and `CADENCIA_OTEL` or an OTLP endpoint asks for it."""
    if otel_trace is None:
        return False
    flag = environ.get(FLAG, "").strip().lower()
    if flag in {"0", "false", "off", "no"}:
        return False
    return flag in {"1", "true", "on", "yes"} or any(environ.get(name) for name in ENDPOINTS)


_configured = threading.Lock()
_exporter_installed = False


def _install_otlp_exporter() -> None:
    """With an OTLP endpoint and no tracer provider set by the host, export there (once per process)."""
    global _exporter_installed
    with _configured:
        if _exporter_installed or not any(os.environ.get(name) for name in ENDPOINTS):
            return
        _exporter_installed = True
        if not isinstance(otel_trace.get_tracer_provider(), otel_trace.ProxyTracerProvider):
            return  # the host (opentelemetry-instrument, LangGraph's server, a test) already chose where spans go
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:  # optional: only when exporting by OTLP ourselves
            logger.warning("OTLP endpoint set, exporter missing (pip install 'cadencia[otel]'): %s", exc)
            return
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        otel_trace.set_tracer_provider(provider)


class Traced:
    """The span of one operation, or nothing when tracing is off; attributes with a None value are left out."""

    def __init__(self, span: Any | None) -> None:
        self._span = span

    def set(self, name: str, value: Attribute | None) -> None:
        if self._span is not None and value is not None:
            self._span.set_attribute(name, value)

    def fail(self, error_type: str, message: str = "") -> None:
        """Mark the operation failed (`error.type`, status ERROR), as the conventions ask."""
        if self._span is None:
            return
        self._span.set_attribute("error.type", error_type)
        self._span.set_status(otel_trace.Status(otel_trace.StatusCode.ERROR, message[:500]))


@contextmanager
def _span(name: str, attributes: dict[str, Attribute | None]) -> Iterator[Traced]:
    if not enabled():
        yield Traced(None)
        return
    _install_otlp_exporter()
    tracer = otel_trace.get_tracer(TRACER_NAME)
    clean = {k: v for k, v in attributes.items() if v is not None}
    with tracer.start_as_current_span(name, kind=otel_trace.SpanKind.INTERNAL, attributes=clean) as span:
        yield Traced(span)


@contextmanager
def agent_span(*, run_id: str, goal_id: str, host: str) -> Iterator[Traced]:
    """`invoke_agent cadencia`: one stretch of a run (start or resume, until its report or an approval)."""
    with _span(
        f"invoke_agent {AGENT_NAME}",
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": AGENT_NAME,
            "gen_ai.conversation.id": run_id,
            "cadencia.run_id": run_id,
            "cadencia.goal_id": goal_id,
            "cadencia.host": host,
        },
    ) as traced:
        yield traced


@contextmanager
def tool_span(
    *,
    tool: str,
    call_id: str,
    run_id: str,
    decision: str,
    reversibility: str,
    approval_id: str | None,
    idempotency_key: str,
) -> Iterator[Traced]:
    """`execute_tool <tool>`: one tool call through the gate, with the decision that let it run."""
    with _span(
        f"execute_tool {tool}",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": tool,
            "gen_ai.tool.call.id": call_id,
            "gen_ai.tool.type": "extension",
            "gen_ai.agent.name": AGENT_NAME,
            "gen_ai.conversation.id": run_id,
            "cadencia.run_id": run_id,
            "cadencia.guardrail.decision": decision,
            "cadencia.reversibility": reversibility,
            "cadencia.approval.id": approval_id,
            "cadencia.idempotency_key": idempotency_key,
        },
    ) as traced:
        yield traced


def run_metadata(run_id: str, goal: Goal) -> RunnableConfig:
    """RunnableConfig run name, metadata and tags for a graph run: what LangSmith (or any LangChain tracer) shows."""
    kpi = goal.kpi
    return {
        "run_name": f"cadencia {goal.id}",
        "metadata": {
            "cadencia_run_id": run_id,
            "cadencia_goal_id": goal.id,
            "cadencia_goal_objective": goal.objective,
            "cadencia_goal_kpi": f"{kpi.metric.value} target {kpi.target:g} in {kpi.horizon_days} days",
        },
        "tags": ["cadencia", f"goal:{goal.id}"],
    }
