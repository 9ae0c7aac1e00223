"""The one choke point every tool call passes through: policy → reversibility → (approval) → execute with an
idempotency key → record the inverse → audit. The graph's nodes and the LangChain middleware both use it.

The gate is immutable: what a decision depends on that changes during a run (what executed, the untrusted text
seen) is passed in from checkpointed state, so a run resumed in another process decides exactly as the original.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import JsonValue

from cadencia.agents.actions import Assessment, Decision, ExecutedAction, JsonArgs, ProposedAction, Verdict
from cadencia.agents.approvals import (
    ApprovalOutcome,
    ApprovalRequest,
    ApprovalResponse,
    ApprovalStatus,
    approval_id,
    approval_status,
)
from cadencia.agents.effects import Effects, effects_of
from cadencia.agents.goal import Goal
from cadencia.agents.guardrails import Facts, GuardrailEngine
from cadencia.agents.results import ToolResultError
from cadencia.agents.server_forms import FORM_ANSWER_ARG, answer_for
from cadencia.agents.toolbox import ResultWitness, Toolbox, ToolOutcome
from cadencia.agents.tracing import Traced, tool_span
from cadencia.servers.safety.errors import unknown_approval
from cadencia.tools.approvals import ApprovalState, ApprovalStore, ApprovalTicket
from cadencia.tools.audit import AuditEvent, AuditKind, AuditLog, AuditRecord
from cadencia.tools.policy.engine import RunView
from cadencia.tools.policy.totals import LlmUsage
from cadencia.tools.reversibility import Reversibility

Clock = Callable[[], datetime]
IDEMPOTENCY_ARG = "idempotency_key"
APPROVAL_ARG = "approval_id"
"""Servers with a policy take the id of an approval already given (ours, in the shared approval store)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def idempotency_key(run_id: str, assessment: Assessment) -> str:
    """Deterministic per run, action and exact request: a resumed or retried step can never act twice."""
    return f"{run_id}.{assessment.action.id}.{assessment.request_hash[:16]}"


@dataclass(frozen=True)
class Gate:
    """Assess, approve, execute and audit tool calls for one run.

    The graph gives it a Toolbox (MCP tools, whose registry says each tool's reversibility); the LangChain
    middleware gives it a `registry` instead and executes through LangChain's own handler. Approvals are asked
    and answered through the durable `approvals` store, so a deadline is fixed when first asked.
    """

    run_id: str
    goal: Goal
    engine: GuardrailEngine
    facts: Facts
    audit: AuditLog
    approvals: ApprovalStore
    toolbox: Toolbox | None = None
    registry: Mapping[str, Reversibility] = field(default_factory=dict)
    actor: str = "graph"
    clock: Clock = utc_now

    def record(self, kind: AuditKind, payload: dict[str, JsonValue], *, actor: str | None = None) -> AuditRecord:
        return self.audit.append(run_id=self.run_id, actor=actor or self.actor, kind=kind, payload=payload)

    def tools(self) -> Mapping[str, Reversibility]:
        return self.toolbox.registry() if self.toolbox is not None else self.registry

    async def evaluate(
        self,
        action: ProposedAction,
        *,
        executed: Sequence[ExecutedAction],
        untrusted: Sequence[str] = (),
        llm_calls: int = 0,
        llm_tokens: int = 0,
    ) -> Assessment:
        """Policy verdicts for one proposed action; reads facts, writes nothing (safe before an interrupt)."""
        run = RunView(
            goal=self.goal,
            facts=self.facts,
            tools=self.tools(),
            executed=list(executed),
            llm_usage=LlmUsage(calls=llm_calls, tokens=llm_tokens),
            untrusted_texts=list(untrusted),
        )
        return await self.engine.assess(action, run)

    def assessment_events(self, assessment: Assessment) -> list[AuditEvent]:
        """The proposal (by its source) and the verdicts (by the gate) as two audit records."""
        action = assessment.action
        verdicts = {
            "action_id": action.id,
            "tool": action.tool,
            "decision": assessment.decision.value,
            "reversibility": assessment.reversibility.value,
            "request_hash": assessment.request_hash,
            "verdicts": [v.model_dump(mode="json") for v in assessment.verdicts],
        }
        return [
            AuditEvent(
                run_id=self.run_id, actor=action.source, kind=AuditKind.PROPOSAL, payload=action.model_dump(mode="json")
            ),
            AuditEvent(run_id=self.run_id, actor=self.actor, kind=AuditKind.VERDICT, payload=verdicts),
        ]

    def record_assessment(self, assessment: Assessment) -> None:
        """Audit the proposal and its verdicts in one transaction (one per guard step)."""
        self.audit.append_many(self.assessment_events(assessment))

    async def assess(
        self,
        action: ProposedAction,
        *,
        executed: Sequence[ExecutedAction],
        untrusted: Sequence[str] = (),
        llm_calls: int = 0,
        llm_tokens: int = 0,
    ) -> Assessment:
        """Evaluate and audit the proposal and its verdicts (nothing runs here)."""
        assessment = await self.evaluate(
            action, executed=executed, untrusted=untrusted, llm_calls=llm_calls, llm_tokens=llm_tokens
        )
        self.record_assessment(assessment)
        return assessment

    def request_approval(self, assessment: Assessment) -> ApprovalRequest:
        """The approval to show for an assessment: asked once in the store, so re-asking returns the same deadline.

        Safe before `interrupt()`: a node that re-runs on resume inserts nothing new and reads the first ask back.
        """
        now = self.clock()
        asked = self.approvals.ask(
            ApprovalTicket(
                approval_id=approval_id(self.run_id, assessment.action.id),
                request_hash=assessment.request_hash,
                tool=assessment.action.tool,
                run_id=self.run_id,
                request=assessment.model_dump(mode="json"),
                requested_at=now,
                expires_at=now + timedelta(hours=self.goal.autonomy.approval_timeout_hours),
            )
        )
        return ApprovalRequest(
            approval_id=asked.approval_id,
            run_id=self.run_id,
            assessment=assessment,
            requested_at=asked.requested_at,
            expires_at=asked.expires_at,
        )

    def record_answer(
        self, request: ApprovalRequest, response: ApprovalResponse, *, audit_request: bool = False
    ) -> ApprovalOutcome:
        """How the answer resolves the request (late answers expire), recorded once in the store and the audit log.

        Expiry is judged on when the answer reaches the gate, not on a time the answer claims. Answering again
        (a node re-running on resume) returns the first recorded outcome and writes nothing. `audit_request` also
        audits the proposal and verdicts with the answer, for callers that could not audit them before pausing.
        """
        received = self.clock()
        status = approval_status(response, request.request_hash, expired=received > request.expires_at)
        answer = self.approvals.answer(
            request.approval_id,
            request.request_hash,
            state=ApprovalState(status.value),
            approver=response.approver,
            note=response.note,
            at=received,
        )
        stored = answer.record
        outcome = ApprovalOutcome(
            approval_id=stored.approval_id,
            request_hash=stored.request_hash,
            status=ApprovalStatus(stored.state.value),
            approver=stored.approver,
            note=stored.note,
        )
        if answer.recorded:
            answered = stored.answered_at.isoformat() if stored.answered_at else None
            events = self.assessment_events(request.assessment) if audit_request else []
            events.append(
                AuditEvent(
                    run_id=self.run_id,
                    actor=f"human:{response.approver}",
                    kind=AuditKind.APPROVAL,
                    payload=outcome.model_dump(mode="json") | {"answered_at": answered},
                )
            )
            self.audit.append_many(events)
        return outcome

    def server_requires_approval(self, assessment: Assessment, why: str) -> Assessment:
        """The assessment again, now needing a person because the server's policy said so (`why`); audited."""
        verdict = Verdict(rule="server-policy", decision=Decision.REQUIRE_APPROVAL, reason=why)
        asked = assessment.model_copy(
            update={"decision": Decision.REQUIRE_APPROVAL, "verdicts": [*assessment.verdicts, verdict]}
        )
        self.record(
            AuditKind.VERDICT,
            {
                "action_id": asked.action.id,
                "tool": asked.action.tool,
                "decision": asked.decision.value,
                "reversibility": asked.reversibility.value,
                "request_hash": asked.request_hash,
                "verdicts": [v.model_dump(mode="json") for v in asked.verdicts],
                "by": "server",
            },
        )
        return asked

    def call_args(self, assessment: Assessment, *, accepts_key: bool) -> tuple[JsonArgs, str]:
        """The arguments to run with (after clamps), plus the idempotency key when the tool accepts one."""
        key = idempotency_key(self.run_id, assessment)
        args: JsonArgs = dict(assessment.effective_args)
        if accepts_key:
            args[IDEMPOTENCY_ARG] = key
        return args, key

    async def execute(
        self, assessment: Assessment, *, approved_by: str | None = None, witness: ResultWitness | None = None
    ) -> ExecutedAction:
        """Run an allowed (or approved) action with its idempotency key and audit what the server returned.

        `witness` is shown the result (with the tool's declared untrusted paths), as reads show theirs.
        """
        if assessment.decision is Decision.DENY:
            raise ValueError(f"refusing to execute denied action {assessment.action.id}")
        if assessment.decision is Decision.REQUIRE_APPROVAL and approved_by is None:
            raise ValueError(f"action {assessment.action.id} needs an approval before it runs")
        if self.toolbox is None:
            raise ValueError("this gate has no toolbox; execute through your own tool handler")
        tool = assessment.action.tool
        args, key = self.call_args(assessment, accepts_key=self.toolbox.accepts(tool, IDEMPOTENCY_ARG))
        if approved_by is not None and self.toolbox.accepts(tool, APPROVAL_ARG):
            # A person answered here: the server (sharing the approval store) accepts that answer, asks no one again.
            args[APPROVAL_ARG] = approval_id(self.run_id, assessment.action.id)
        with self.traced_call(assessment, key=key, approved_by=approved_by) as traced:
            outcome = await self.toolbox.call(tool, args)
            if approved_by is not None and not outcome.ok:
                outcome = await self._answer_server(tool, args, outcome, approved_by)
            if witness is not None:
                witness.record(tool, outcome.payload, self.toolbox.untrusted_paths(tool))
            return self.record_execution(assessment, outcome, key=key, approved_by=approved_by, traced=traced)

    async def _answer_server(self, tool: str, args: JsonArgs, outcome: ToolOutcome, approved_by: str) -> ToolOutcome:
        """A person approved this call here but the server asks again: a server with its own approval store (one
        that does not know this run's approval id) is let ask and answered, through its form, with that approval."""
        assert self.toolbox is not None
        if outcome.question is None and APPROVAL_ARG in args and unknown_approval(outcome.text):
            args = {k: v for k, v in args.items() if k != APPROVAL_ARG}
            outcome = await self.toolbox.call(tool, args)
        if outcome.question is None:
            return outcome
        answer = answer_for(outcome.question, approved=True, note=f"approved in run {self.run_id} by {approved_by}")
        return await self.toolbox.call(tool, {**args, FORM_ANSWER_ARG: answer.model_dump(mode="json")})

    @contextmanager
    def traced_call(self, assessment: Assessment, *, key: str, approved_by: str | None) -> Iterator[Traced]:
        """The `execute_tool` span around one call (a no-op unless tracing is configured)."""
        action = assessment.action
        with tool_span(
            tool=action.tool,
            call_id=action.id,
            run_id=self.run_id,
            decision=assessment.decision.value,
            reversibility=assessment.reversibility.value,
            approval_id=approval_id(self.run_id, action.id) if approved_by is not None else None,
            idempotency_key=key,
        ) as traced:
            yield traced

    def record_execution(
        self,
        assessment: Assessment,
        outcome: ToolOutcome,
        *,
        key: str,
        approved_by: str | None,
        traced: Traced | None = None,
    ) -> ExecutedAction:
        """Audit what ran; its effects come from the server's result (an unreadable result is audited, not lost).

        `traced` (the call's span) gets the audit record's sequence number and, for a failed call, the error.
        """
        tool = assessment.action.tool
        effects, problem = Effects(), None
        if outcome.ok:
            try:
                effects = effects_of(tool, outcome.structured)
            except ToolResultError as exc:
                problem = str(exc)
        executed = ExecutedAction(
            action_id=assessment.action.id,
            tool=tool,
            args=assessment.effective_args,
            reversibility=assessment.reversibility,
            ok=outcome.ok,
            result=outcome.structured if outcome.ok and assessment.reversibility.mutates else None,
            error=None if outcome.ok else outcome.text,
            undo_token=effects.undo_token,
            idempotency_key=key,
            approved_by=approved_by,
            spend_moved_minor=effects.spend_moved_minor,
            contacts_messaged=effects.contacts_messaged,
        )
        audited = self.record(
            AuditKind.EXECUTION if outcome.ok else AuditKind.ERROR,
            executed.model_dump(mode="json", exclude={"result"})
            | {"result_summary": outcome.text[:2000] if outcome.ok else None}
            | ({"result_problem": problem} if problem else {}),
        )
        if traced is not None:
            traced.set("cadencia.audit.seq", audited.seq)
            if not outcome.ok:
                traced.fail("tool_error", outcome.text)
        return executed
