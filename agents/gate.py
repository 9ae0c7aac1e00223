"""The one choke point every tool call passes through: policy → reversibility → (approval) → execute with an
idempotency key → record the inverse → audit. The graph's nodes and the LangChain middleware both use it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import JsonValue

from cadencia.agents.actions import Assessment, Decision, ExecutedAction, ProposedAction
from cadencia.agents.effects import contacts_messaged, spend_moved
from cadencia.agents.goal import Goal
from cadencia.agents.guardrails import Facts, GuardrailEngine
from cadencia.agents.guardrails.engine import RunView
from cadencia.agents.guardrails.totals import LlmUsage
from cadencia.agents.toolbox import Toolbox, ToolOutcome
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.reversibility import Reversibility


def idempotency_key(run_id: str, assessment: Assessment) -> str:
    """Deterministic per run, action and exact request: a resumed or retried step can never act twice."""
    return f"{run_id}.{assessment.action.id}.{assessment.request_hash[:16]}"


@dataclass
class Gate:
    """Assess, execute and audit tool calls for one run.

    The graph gives it a Toolbox (MCP tools, whose registry says each tool's reversibility); the LangChain
    middleware gives it a `registry` instead and executes through LangChain's own handler.
    """

    run_id: str
    goal: Goal
    engine: GuardrailEngine
    facts: Facts
    audit: AuditLog
    toolbox: Toolbox | None = None
    registry: Mapping[str, Reversibility] = field(default_factory=dict)
    actor: str = "graph"
    untrusted_texts: list[str] = field(default_factory=list)

    def record(self, kind: AuditKind, payload: dict[str, JsonValue], *, actor: str | None = None) -> None:
        self.audit.append(run_id=self.run_id, actor=actor or self.actor, kind=kind, payload=payload)

    def tools(self) -> Mapping[str, Reversibility]:
        return self.toolbox.registry() if self.toolbox is not None else self.registry

    async def evaluate(
        self, action: ProposedAction, *, executed: Sequence[ExecutedAction], llm_calls: int = 0, llm_tokens: int = 0
    ) -> Assessment:
        """Policy verdicts for one proposed action; reads facts, writes nothing (safe before an interrupt)."""
        run = RunView(
            goal=self.goal,
            facts=self.facts,
            tools=self.tools(),
            executed=list(executed),
            llm_usage=LlmUsage(calls=llm_calls, tokens=llm_tokens),
            untrusted_texts=list(self.untrusted_texts),
        )
        return await self.engine.assess(action, run)

    def record_assessment(self, assessment: Assessment) -> None:
        action = assessment.action
        self.record(AuditKind.PROPOSAL, action.model_dump(mode="json"), actor=action.source)
        self.record(
            AuditKind.VERDICT,
            {
                "action_id": action.id,
                "tool": action.tool,
                "decision": assessment.decision.value,
                "reversibility": assessment.reversibility.value,
                "request_hash": assessment.request_hash,
                "verdicts": [v.model_dump(mode="json") for v in assessment.verdicts],
            },
        )

    async def assess(
        self, action: ProposedAction, *, executed: Sequence[ExecutedAction], llm_calls: int = 0, llm_tokens: int = 0
    ) -> Assessment:
        """Evaluate and audit the proposal and its verdicts (nothing runs here)."""
        assessment = await self.evaluate(action, executed=executed, llm_calls=llm_calls, llm_tokens=llm_tokens)
        self.record_assessment(assessment)
        return assessment

    async def execute(self, assessment: Assessment, *, approved_by: str | None = None) -> ExecutedAction:
        """Run an allowed (or approved) action with its idempotency key and audit what the server returned."""
        if assessment.decision is Decision.DENY:
            raise ValueError(f"refusing to execute denied action {assessment.action.id}")
        if assessment.decision is Decision.REQUIRE_APPROVAL and approved_by is None:
            raise ValueError(f"action {assessment.action.id} needs an approval before it runs")
        if self.toolbox is None:
            raise ValueError("this gate has no toolbox; execute through your own tool handler")
        tool = assessment.action.tool
        key = idempotency_key(self.run_id, assessment)
        args: dict[str, JsonValue] = dict(assessment.effective_args)
        if self.toolbox.accepts(tool, "idempotency_key"):
            args["idempotency_key"] = key
        outcome = await self.toolbox.call(tool, args)
        return self.record_execution(assessment, outcome, key=key, approved_by=approved_by)

    def record_execution(
        self, assessment: Assessment, outcome: ToolOutcome, *, key: str, approved_by: str | None
    ) -> ExecutedAction:
        structured = outcome.structured if isinstance(outcome.structured, dict) else {}
        tool = assessment.action.tool
        executed = ExecutedAction(
            action_id=assessment.action.id,
            tool=tool,
            args=assessment.effective_args,
            reversibility=assessment.reversibility,
            ok=outcome.ok,
            result=outcome.structured if outcome.ok else None,
            error=None if outcome.ok else outcome.text,
            undo_token=structured.get("undo_token") if outcome.ok else None,  # type: ignore[arg-type]
            idempotency_key=key,
            approved_by=approved_by,
            spend_moved_minor=spend_moved(tool, structured) if outcome.ok else 0,
            contacts_messaged=contacts_messaged(tool, structured) if outcome.ok else 0,
        )
        self.record(
            AuditKind.EXECUTION if outcome.ok else AuditKind.ERROR,
            executed.model_dump(mode="json", exclude={"result"})
            | {"result_summary": outcome.text[:2000] if outcome.ok else None},
        )
        return executed
