"""The servers' safety layer: every tool call of every client passes here before it may change the world.

Order for a mutating call: kill switch and freeze windows → the server policy's rules (the guardrail engine, no
goal) → the caller's daily budgets (reserved, given back if the call does not run) → a person's approval when a
rule asks for one (asked once, bound to the exact request and caller, used once) → execute, named so the store's
call record can be matched → the audit log. A retry with the idempotency key of a call that ran is charged nothing
more, may use that call's approval again, and is audited as a replay of it (the backends answer it from their
record). Reads are only counted. Nothing here knows the MCP SDK: the hook in `servers.safety.hook` builds the
`ToolCall`.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import JsonValue
from pydantic_core import to_jsonable_python

from cadencia.servers.context import Backends
from cadencia.servers.safety.call import (
    APPROVAL_ARG,
    CALL_REF_PREFIX,
    SERVER_APPROVAL_PREFIX,
    FormOutcome,
    ToolCall,
    audit_run_id,
    normalized,
)
from cadencia.servers.safety.errors import UNKNOWN_APPROVAL, ApprovalRequired, BudgetRefused, Frozen
from cadencia.servers.safety.facts import BackendFacts
from cadencia.tools.approvals import (
    ApprovalInUse,
    ApprovalRecord,
    ApprovalState,
    ApprovalStore,
    ApprovalTicket,
    ApprovalUnavailable,
    request_hash,
)
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.errors import (
    CadenciaError,
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PolicyViolation,
)
from cadencia.tools.names import Reviews
from cadencia.tools.policy.actions import Assessment, Decision, ProposedAction
from cadencia.tools.policy.checks._args import MESSAGING_TOOLS, PRICING_TOOLS
from cadencia.tools.policy.checks._lookups import action_reach, spend_moved
from cadencia.tools.policy.engine import GuardrailEngine, RunView
from cadencia.tools.policy.facts import Facts
from cadencia.tools.policy.registry import CheckRegistry
from cadencia.tools.policy.server import ServerPolicy
from cadencia.tools.policy.usage import READS, BudgetExceeded, ChargeKey, UsageStore
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.canonical import canonical_json
from cadencia.tools.store.principal import CALL_PRINCIPAL, CALL_REPLAY, Replay

log = logging.getLogger("cadencia.servers.safety")
R = TypeVar("R")
Clock = Callable[[], datetime]
RESULT_SUMMARY = 2000
NOTHING_CHANGED = (InvalidArgument, NotFound, PolicyViolation, PermissionDenied, Conflict)
"""Tool errors after which the call certainly changed nothing (one transaction, refused before any write)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


async def usage_of(action: ProposedAction, facts: Facts) -> dict[str, int | None]:
    """What the call would add to each daily budget; None where it cannot be known (the budget then refuses)."""
    return {
        "spend_moved_minor": await spend_moved(action, facts),
        "contacts_messaged": await action_reach(action, facts) if action.tool in MESSAGING_TOOLS else 0,
        "prices_changed": 1 if action.tool in PRICING_TOOLS else 0,
        "replies_published": 1 if action.tool == Reviews.REPLY_TO_REVIEW else 0,
    }


@dataclass(frozen=True)
class PolicyView:
    """How the policy sees a call that is not one of the servers' own (a proxied vendor tool): the facts to read,
    the Cadencia actions it amounts to (`facets`, judged by the same rules and counted by the same budgets) and
    the tool registry those are judged with."""

    facts: Facts
    facets: Sequence[ProposedAction] = ()
    tools: Mapping[str, Reversibility] | None = None


def in_words(call: ToolCall) -> str:
    """The request as one sentence for the approver."""
    shown = ", ".join(f"{k}={canonical_json(v)}" for k, v in call.bound_args.items() if v is not None)
    return f"{call.subject} asks to run {call.tool}({shown})"


class ServerSafety:
    """Policy, approvals, budgets, freeze and audit for the calls of one server process (thread-safe)."""

    def __init__(
        self,
        policy: ServerPolicy,
        *,
        approvals: ApprovalStore,
        usage: UsageStore,
        registry: Mapping[str, Reversibility],
        audit: AuditLog | None = None,
        checks: CheckRegistry | None = None,
        clock: Clock = utc_now,
        read_flush: int = 50,
    ) -> None:
        self.policy = policy
        self.engine = GuardrailEngine(policy.as_policy(), registry=checks)
        self.goal = policy.goal()
        self.approvals = approvals
        self.usage = usage
        self.registry = dict(registry)
        self.audit = audit
        self.clock = clock
        self.read_flush = read_flush
        self._reads: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def call(
        self,
        call: ToolCall,
        backends: Backends | None,
        execute: Callable[[], Awaitable[R]],
        *,
        view: PolicyView | None = None,
    ) -> R:
        """Run `execute` if the policy, the budgets and (when asked for) a person allow it; audit what happened.

        The policy reads facts from `backends`, or, for a call that is not the servers' own, from `view`."""
        if not call.reversibility.mutates:
            self._count_read(call.subject)
            return await execute()
        ref = CALL_REF_PREFIX + secrets.token_hex(8)
        now = self.clock()
        replayable = view is None  # our backends answer a known idempotency key from their record; an upstream may not
        if view is None:
            assert backends is not None, "a server's own call reads its facts from its backends"
            view = PolicyView(facts=BackendFacts(backends))
        facts = view.facts
        action = ProposedAction(id=ref, tool=call.tool, args=call.bound_args, source=f"mcp:{call.subject}")
        assessment: Assessment | None = None
        reserved: dict[str, int] = {}
        charge = self._charge_key(call) if replayable else None
        try:
            self._refuse_if_frozen(now)
            assessment = await self._assess(action, view)
            if assessment.decision is Decision.DENY:
                raise PolicyViolation(
                    f"{call.tool} is refused by the server policy: {assessment.denial}", rule="policy"
                )
            estimate = await self._estimate(call, view.facets or [action], facts)
            reserved = self._reserve(call, estimate, now, charge)
            try:
                approval = self._approval(call, ref, assessment, estimate, now, replayable=replayable)
            except CadenciaError:
                self._give_back(call.subject, now, reserved, charge)
                raise
        except CadenciaError as exc:
            self._record(call, ref, AuditKind.VERDICT, assessment, {"outcome": "refused", "error": str(exc)})
            raise
        replay = Replay()
        token, listening = CALL_PRINCIPAL.set(ref), CALL_REPLAY.set(replay)
        try:
            result = await execute()
        except BaseException as exc:
            self._give_back(call.subject, now, reserved, charge)
            if approval is not None:
                self._after_failure(approval, ref, exc)
            self._record(call, ref, AuditKind.ERROR, assessment, {"outcome": "failed", "error": str(exc)[:500]})
            raise
        finally:
            CALL_REPLAY.reset(listening)
            CALL_PRINCIPAL.reset(token)
        if charge is not None and not reserved and not replay.replayed:
            reserved = self._charge_late(call, estimate, now, charge)
        if approval is not None:
            approval = self.approvals.finish(approval.approval_id, approval.request_hash, call_ref=ref, at=self.clock())
            if approval.run_id is not None:
                self._settle_server_tickets(call, approval)
        if replay.replayed:
            self._record_replay(call, ref, assessment, approval, replay, result)
        else:
            self._record_execution(call, ref, assessment, approval, estimate, result)
        return result

    async def needs_person(
        self, call: ToolCall, backends: Backends | None, *, view: PolicyView | None = None
    ) -> ApprovalRecord | None:
        """The open ticket a person must answer before `call` may run (asked once per request and caller), or None
        when no rule asks for one, the call brings its own approval, or it will be refused for another reason (the
        call itself then says which). Reserves no budget and runs nothing: what a client's form is built from."""
        if not call.reversibility.mutates or call.approval_id is not None:
            return None
        now = self.clock()
        if view is None:
            assert backends is not None, "a server's own call reads its facts from its backends"
            view = PolicyView(facts=BackendFacts(backends))
        try:
            self._refuse_if_frozen(now)
        except Frozen:
            return None
        action = ProposedAction(id="ask", tool=call.tool, args=call.bound_args, source=f"mcp:{call.subject}")
        assessment = await self._assess(action, view)
        if assessment.decision is not Decision.REQUIRE_APPROVAL:
            return None
        usage: dict[str, int] = {}
        for facet in view.facets or [action]:
            for measure, amount in (await usage_of(facet, view.facts)).items():
                if amount:
                    usage[measure] = usage.get(measure, 0) + amount
        return self._ask(call, assessment, usage, now)

    async def answer_in_form(
        self,
        call: ToolCall,
        backends: Backends | None,
        *,
        outcome: FormOutcome,
        note: str = "",
        view: PolicyView | None = None,
    ) -> ToolCall:
        """Record the person's answer from the client's form on the open ticket of `call`.

        Accept approves it (approver `elicitation:SUBJECT`) and returns the call carrying that approval, to run once
        through `call`; decline rejects it and raises; cancel leaves it pending and raises the fallback error."""
        ticket = await self.needs_person(call, backends, view=view)
        if ticket is None:
            return call  # nothing left to answer: the call's own checks decide
        asking = ticket.request.get("verdicts") if isinstance(ticket.request, dict) else None
        why = "; ".join(
            f"{v.get('rule')}: {v.get('reason')}"
            for v in asking or []
            if isinstance(v, dict) and v.get("decision") == Decision.REQUIRE_APPROVAL.value
        )
        if outcome is FormOutcome.CANCEL:
            raise ApprovalRequired(ticket.approval_id, why, note="The form was cancelled: the request stays pending.")
        accepted = outcome is FormOutcome.ACCEPT
        self.approvals.answer(
            ticket.approval_id,
            ticket.request_hash,
            state=ApprovalState.APPROVED if accepted else ApprovalState.REJECTED,
            approver=f"elicitation:{call.subject}",
            note=note,
            at=self.clock(),
        )
        if not accepted:
            raise PolicyViolation(
                f"{call.tool} was declined in the approval form ({ticket.approval_id}); nothing ran",
                field=APPROVAL_ARG,
                rule="approval",
            )
        return replace(call, approval_id=ticket.approval_id)

    def close(self) -> None:
        """Store the read counts not yet flushed."""
        with self._lock:
            pending, self._reads = dict(self._reads), Counter()
        day = self.clock().date().isoformat()
        for subject, count in pending.items():
            self.usage.add(subject, day, {READS: count})

    # -- the steps ------------------------------------------------------------------------------------------------

    def _refuse_if_frozen(self, now: datetime) -> None:
        switch = self.usage.switch()
        if switch is not None and switch.on:
            why = f": {switch.reason}" if switch.reason else ""
            raise Frozen(
                f"writes are frozen by the kill switch (on since {switch.changed_at}, by {switch.changed_by}{why}); "
                "reads still work; the operator lifts it with `cadencia freeze off`",
                rule="freeze",
            )
        window = self.policy.frozen_at(now)
        if window is not None:
            why = f" ({window.reason})" if window.reason else ""
            raise Frozen(
                f"writes are frozen from {window.start.isoformat()} to {window.end.isoformat()}{why} by the server "
                "policy; reads still work",
                rule="freeze",
            )

    async def _assess(self, action: ProposedAction, view: PolicyView) -> Assessment:
        """The call's own assessment plus its facets' verdicts (a rule's verdict is repeated only when more severe)."""
        tools = self.registry if view.tools is None else view.tools
        assessment = await self.engine.assess(action, RunView(goal=self.goal, facts=view.facts, tools=tools))
        verdicts = list(assessment.verdicts)
        for facet in view.facets:
            judged = await self.engine.assess(facet, RunView(goal=self.goal, facts=view.facts, tools=tools))
            fired = {v.rule: v.decision.severity for v in verdicts}
            verdicts += [v for v in judged.verdicts if v.decision.severity > fired.get(v.rule, -1)]
        decision = max((v.decision for v in verdicts), key=lambda d: d.severity, default=Decision.ALLOW)
        return assessment.model_copy(update={"verdicts": verdicts, "decision": decision})

    @staticmethod
    def _charge_key(call: ToolCall) -> ChargeKey | None:
        """The key a call with an idempotency key is charged under once, however often it is retried."""
        key = call.args.get("idempotency_key")
        if not isinstance(key, str) or not key:
            return None
        return ChargeKey(subject=call.subject, tool=call.tool, idempotency_key=key, request_hash=call.request_hash)

    async def _estimate(self, call: ToolCall, actions: Sequence[ProposedAction], facts: Facts) -> dict[str, int]:
        """What the call adds to each daily budget; refused when a limited measure cannot be known."""
        limits = self.policy.budgets.model_dump()
        estimate: dict[str, int | None] = {}
        for action in actions:
            for measure, amount in (await usage_of(action, facts)).items():
                known = estimate.get(measure, 0)
                estimate[measure] = None if amount is None or known is None else known + amount
        unknown = [m for m, amount in estimate.items() if amount is None and limits.get(m) is not None]
        if unknown:
            raise BudgetRefused(
                f"cannot tell how much of {', '.join(unknown)} {call.tool} would use, so the caller's daily budget "
                "cannot be checked",
                rule="budget",
            )
        return {m: amount for m, amount in estimate.items() if amount}

    def _reserve(
        self, call: ToolCall, amounts: Mapping[str, int], now: datetime, charge: ChargeKey | None
    ) -> dict[str, int]:
        """Take `amounts` from the caller's daily budgets; nothing (an empty dict) when the call's key was charged."""
        limits = self.policy.budgets.model_dump()
        try:
            charged = self.usage.reserve(call.subject, now.date().isoformat(), amounts, limits, charge=charge)
        except BudgetExceeded as exc:
            raise BudgetRefused(
                f"daily budget of {call.subject} reached: {exc}; ask the operator to raise budgets: in the server "
                "policy, or wait for the next UTC day",
                field=exc.measure,
                rule="budget",
            ) from exc
        return dict(amounts) if charged else {}

    def _charge_late(
        self, call: ToolCall, amounts: Mapping[str, int], now: datetime, charge: ChargeKey
    ) -> dict[str, int]:
        """The call ran although its key counted as charged: the copy that charged it failed meanwhile and gave the
        charge back. It ran, so it is charged now, past the limits if need be (rare; logged)."""
        if not self.usage.reserve(call.subject, now.date().isoformat(), amounts, {}, charge=charge):
            return {}
        log.warning(
            "call %s (%s) was charged after it ran: the copy that reserved its budget failed", call.tool, charge
        )
        return dict(amounts)

    def _give_back(
        self, subject: str, now: datetime, amounts: Mapping[str, int], charge: ChargeKey | None = None
    ) -> None:
        """Return what this call reserved (nothing when its key was charged by the call that ran)."""
        if amounts:
            self.usage.give_back(subject, now.date().isoformat(), amounts, charge=charge)

    def _settle_server_tickets(self, call: ToolCall, graph_approval: ApprovalRecord) -> None:
        """The caller's own ticket for this request (asked before the graph's person answered) is answered too."""
        self.approvals.settle_open(
            call.request_hash,
            call.subject,
            approver=graph_approval.approver or "graph",
            note=f"answered in run {graph_approval.run_id} as {graph_approval.approval_id}; the call ran once",
            at=self.clock(),
        )

    def _after_failure(self, approval: ApprovalRecord, ref: str, exc: BaseException) -> None:
        """Give the approval back when the failed call certainly changed nothing; otherwise it stays held by `ref`
        (only a retry with the same idempotency key, which the backends replay, may use it again)."""
        if isinstance(exc, NOTHING_CHANGED):
            self.approvals.release(approval.approval_id, approval.request_hash, call_ref=ref)
        else:
            log.warning(
                "approval %s stays held by call %s: its outcome is unknown (%r)", approval.approval_id, ref, exc
            )

    def _approval(
        self,
        call: ToolCall,
        ref: str,
        assessment: Assessment,
        usage: Mapping[str, int],
        now: datetime,
        *,
        replayable: bool = True,
    ) -> ApprovalRecord | None:
        """None when no rule asks for a person; else the approval this call holds while it runs (used up when it
        succeeds, given back when it certainly changed nothing), or an `ApprovalRequired`. A used approval comes back
        only to a retry with its call's key, and only when the backends replay keys (`replayable`)."""
        if assessment.decision is not Decision.REQUIRE_APPROVAL:
            return None
        asking = [v for v in assessment.verdicts if v.decision is Decision.REQUIRE_APPROVAL]
        why = "; ".join(f"{v.rule}: {v.reason}" for v in asking)
        if call.approval_id is None:
            raise ApprovalRequired(self._ask(call, assessment, usage, now).approval_id, why)
        found = self._matching(call)
        if found is None:
            if not self.approvals.with_id(call.approval_id):
                raise NotFound(
                    f"no approval {call.approval_id!r} exists; {UNKNOWN_APPROVAL}",
                    field=APPROVAL_ARG,
                )
            ticket = self._ask(call, assessment, usage, now)
            note = f"Approval {call.approval_id} was given for another call (tool, arguments or caller differ)."
            raise ApprovalRequired(ticket.approval_id, why, note=note)
        if found.state is ApprovalState.PENDING:
            if now > found.expires_at:
                raise PolicyViolation(
                    f"approval {found.approval_id} expired unanswered at {found.expires_at.isoformat()}; call again "
                    "without approval_id to ask anew",
                    field=APPROVAL_ARG,
                    rule="approval",
                )
            raise ApprovalRequired(found.approval_id, why, note="It is not answered yet.")
        if found.state is not ApprovalState.APPROVED:
            by = f" by {found.approver}" if found.approver else ""
            raise PolicyViolation(
                f"approval {found.approval_id} is {found.state.value}{by}; the call did not run",
                field=APPROVAL_ARG,
                rule="approval",
            )
        key = call.args.get("idempotency_key")
        try:
            claimed = self.approvals.claim(
                found.approval_id,
                found.request_hash,
                call_ref=ref,
                at=now,
                idempotency_key=key if isinstance(key, str) else None,
            )
            if claimed.used_at is not None and not replayable:
                raise ApprovalUnavailable(f"approval {claimed.approval_id!r} was already used at {claimed.used_at}")
            return claimed
        except ApprovalInUse as exc:
            raise PolicyViolation(
                f"{exc}. It cannot run again without risking a second run: retry with the same idempotency_key as "
                "that call (the server replays or runs it once), or check whether it took effect and call again "
                "without approval_id to ask anew",
                field=APPROVAL_ARG,
                rule="approval",
            ) from exc
        except ApprovalUnavailable as exc:
            raise PolicyViolation(
                f"{exc}; an approval runs one call once: call again without approval_id to ask anew",
                field=APPROVAL_ARG,
                rule="approval",
            ) from exc

    def _matching(self, call: ToolCall) -> ApprovalRecord | None:
        """The ticket under `call.approval_id` for exactly this request by this caller, or the graph's approval of
        exactly this request (a person already answered at the gate: no second question)."""
        assert call.approval_id is not None
        records = self.approvals.with_id(call.approval_id)
        own = next((r for r in records if r.request_hash == call.request_hash and r.subject == call.subject), None)
        if own is not None:
            return own
        return next((r for r in records if self._graph_hash(r, call) == call.graph_hash), None)

    @staticmethod
    def _graph_hash(record: ApprovalRecord, call: ToolCall) -> str | None:
        """The request a graph approval was given for, normalized as this server normalizes calls."""
        request = record.request if isinstance(record.request, dict) else {}
        args = request.get("effective_args")
        if (
            record.run_id is None
            or record.subject is not None
            or record.tool != call.tool
            or not isinstance(args, dict)
        ):
            return None
        return request_hash(call.tool, normalized(args, call.defaults))

    def _ask(self, call: ToolCall, assessment: Assessment, usage: Mapping[str, int], now: datetime) -> ApprovalRecord:
        """The open ticket for this exact request and caller, or a new one (asking twice never spams the inbox)."""
        request: dict[str, JsonValue] = {
            "tool": call.tool,
            "arguments": call.bound_args,
            "in_words": in_words(call),
            "reversibility": call.reversibility.value,
            "verdicts": [v.model_dump(mode="json") for v in assessment.verdicts],
            "blast_radius": dict(usage),
            "request_hash": call.request_hash,
            "subject": call.subject,
        }
        return self.approvals.ask_once(
            ApprovalTicket(
                approval_id=SERVER_APPROVAL_PREFIX + secrets.token_hex(6),
                request_hash=call.request_hash,
                tool=call.tool,
                subject=call.subject,
                request=request,
                requested_at=now,
                expires_at=now + timedelta(hours=self.policy.autonomy.approval_timeout_hours),
            )
        )

    def _count_read(self, subject: str) -> None:
        with self._lock:
            self._reads[subject] += 1
            count = self._reads[subject]
            if count < self.read_flush:
                return
            self._reads[subject] = 0
        self.usage.add(subject, self.clock().date().isoformat(), {READS: count})

    # -- the audit ------------------------------------------------------------------------------------------------

    def _record_execution(
        self,
        call: ToolCall,
        ref: str,
        assessment: Assessment | None,
        approval: ApprovalRecord | None,
        usage: Mapping[str, int],
        result: Any,
    ) -> None:
        data = to_jsonable_python(result)
        undo = data.get("undo_token") if isinstance(data, dict) else None
        details: dict[str, JsonValue] = {
            "outcome": "executed",
            "approval": None
            if approval is None
            else {
                "approval_id": approval.approval_id,
                "approver": approval.approver,
                "request_hash": approval.request_hash,
            },
            "usage": dict(usage),
            "undo_token": undo if isinstance(undo, str) else None,
            "result_summary": canonical_json(data)[:RESULT_SUMMARY],
        }
        self._record(call, ref, AuditKind.EXECUTION, assessment, details)

    def _record_replay(
        self,
        call: ToolCall,
        ref: str,
        assessment: Assessment | None,
        approval: ApprovalRecord | None,
        replay: Replay,
        result: Any,
    ) -> None:
        """A retry the backends answered from the idempotency record of the call that ran: nothing ran again."""
        details: dict[str, JsonValue] = {
            "outcome": "replayed",
            "original_call_ref": replay.original,
            "approval": None if approval is None else {"approval_id": approval.approval_id},
            "usage": {},
            "result_summary": canonical_json(to_jsonable_python(result))[:RESULT_SUMMARY],
        }
        self._record(call, ref, AuditKind.REPLAY, assessment, details)

    def _record(
        self,
        call: ToolCall,
        ref: str,
        kind: AuditKind,
        assessment: Assessment | None,
        details: dict[str, JsonValue],
    ) -> None:
        """Append one record of a mutating call; a failing append is logged (verify reports the gap) not raised."""
        if self.audit is None:
            return
        payload: dict[str, JsonValue] = {
            "call_ref": ref,
            "subject": call.subject,
            "tool": call.tool,
            "args": call.args,
            "reversibility": call.reversibility.value,
            "request_hash": call.request_hash,
            "decision": None if assessment is None else assessment.decision.value,
            "verdicts": [] if assessment is None else [v.model_dump(mode="json") for v in assessment.verdicts],
            "idempotency_key": call.args.get("idempotency_key"),
            **details,
        }
        try:
            self.audit.append(
                run_id=audit_run_id(call.subject), actor=f"mcp:{call.subject}", kind=kind, payload=payload
            )
        except Exception:
            log.exception("could not audit %s call %s (tool %s)", kind.value, ref, call.tool)
