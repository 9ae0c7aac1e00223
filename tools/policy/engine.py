"""The guardrail engine: runs a policy's rules over one proposed action and decides, failing closed."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from cadencia.tools.approvals import request_hash
from cadencia.tools.names import capability_of
from cadencia.tools.policy.actions import (
    Assessment,
    Decision,
    ExecutedAction,
    ProposedAction,
    Verdict,
)
from cadencia.tools.policy.checks import default_registry
from cadencia.tools.policy.context import CheckContext, OnViolation, ToolInfo
from cadencia.tools.policy.facts import Facts
from cadencia.tools.policy.goal import Goal
from cadencia.tools.policy.memo import MemoFacts
from cadencia.tools.policy.policy import CompiledRule, Policy, compile_policy
from cadencia.tools.policy.registry import CheckRegistry
from cadencia.tools.policy.totals import LlmUsage, RunTotals
from cadencia.tools.reversibility import Reversibility

log = logging.getLogger("cadencia.tools.policy")

UNKNOWN_TOOL_RULE = "engine.unknown_tool"
"""Verdict rule id for a tool missing from the trusted reversibility registry."""
_APPROVAL = Decision.REQUIRE_APPROVAL


@dataclass(frozen=True)
class RunView:
    """What the engine knows about the run: goal, facts, the trusted tool registry and what actually executed."""

    goal: Goal
    facts: Facts
    tools: Mapping[str, Reversibility]
    executed: Sequence[ExecutedAction] = ()
    llm_usage: LlmUsage = field(default_factory=LlmUsage)
    untrusted_texts: Sequence[str] = ()

    def tool_info(self, name: str) -> ToolInfo:
        """The tool as the registry knows it; unknown tools are irreversible."""
        known = name in self.tools
        return ToolInfo(name=name, reversibility=self.tools.get(name, Reversibility.IRREVERSIBLE), known=known)

    def totals(self) -> RunTotals:
        return RunTotals.from_executed(self.executed, self.llm_usage)


@dataclass(frozen=True)
class _Outcome:
    rule: str
    verdict: Verdict | None
    note: str = "passed"


class GuardrailEngine:
    """Assess proposed actions against a policy: deny > require_approval > clamp > allow."""

    def __init__(self, policy: Policy, *, registry: CheckRegistry | None = None) -> None:
        self.policy = policy
        self._rules = compile_policy(policy, registry or default_registry())

    async def assess(self, action: ProposedAction, run: RunView) -> Assessment:
        """Every enabled, applicable rule's verdict, the combined decision, effective args, hash and risk."""
        tool = run.tool_info(action.tool)
        outcomes, clamped = await self._evaluate(action, run, tool)
        verdicts = [o.verdict for o in outcomes if o.verdict is not None]
        decision = max((v.decision for v in verdicts), key=lambda d: d.severity, default=Decision.ALLOW)
        args = action.args if decision is Decision.DENY else clamped.args
        return Assessment(
            action=action,
            reversibility=tool.reversibility,
            verdicts=verdicts,
            decision=decision,
            effective_args=args,
            request_hash=request_hash(action.tool, args),
            risk=_risk(tool, verdicts),
        )

    async def explain(self, action: ProposedAction, run: RunView) -> list[Verdict]:
        """One verdict per rule, in policy order, including passed and skipped rules (decision allow)."""
        outcomes, _ = await self._evaluate(action, run, run.tool_info(action.tool))
        return [o.verdict or Verdict(rule=o.rule, decision=Decision.ALLOW, reason=o.note) for o in outcomes]

    async def _evaluate(
        self, action: ProposedAction, run: RunView, tool: ToolInfo
    ) -> tuple[list[_Outcome], ProposedAction]:
        """Run rules in order, each on the action as clamped so far; then re-check a clamped action in full.

        Facts are looked up once per assessment (`MemoFacts`): every check, and the recheck, judges the same figures.
        """
        run = replace(run, facts=MemoFacts(run.facts))
        totals = run.totals()
        outcomes: list[_Outcome] = []
        if not tool.known:
            reason = f"{tool.name!r} is not in the trusted tool registry; treated as irreversible"
            outcomes.append(
                _Outcome(UNKNOWN_TOOL_RULE, Verdict(rule=UNKNOWN_TOOL_RULE, decision=_APPROVAL, reason=reason))
            )
        applicable: list[CompiledRule] = []
        current = action
        for compiled in self._rules:
            rule = compiled.rule
            if not rule.enabled:
                outcomes.append(_Outcome(rule.id, None, "skipped: disabled"))
                continue
            if not rule.applies(action.tool):
                outcomes.append(_Outcome(rule.id, None, f"skipped: applies_to {', '.join(rule.applies_to)}"))
                continue
            applicable.append(compiled)
            verdict = _blind_spot(compiled, tool, run) or await self._run(compiled, current, tool, totals, run)
            if verdict is not None and verdict.decision is Decision.CLAMP:
                verdict = _checked_clamp(verdict, current)
                if verdict.clamped_args is not None:
                    current = current.model_copy(update={"args": verdict.clamped_args})
            outcomes.append(_Outcome(rule.id, verdict))
        denied = any(o.verdict is not None and o.verdict.decision is Decision.DENY for o in outcomes)
        if current is not action and not denied:
            outcomes += await self._recheck(current, applicable, outcomes, tool, totals, run)
        return outcomes, current

    async def _recheck(
        self,
        clamped: ProposedAction,
        rules: list[CompiledRule],
        earlier: list[_Outcome],
        tool: ToolInfo,
        totals: RunTotals,
        run: RunView,
    ) -> list[_Outcome]:
        """A clamped action must satisfy every rule as it stands; anything still to clamp or deny means deny."""
        asked = {o.rule for o in earlier if o.verdict is not None and o.verdict.decision is _APPROVAL}
        extra: list[_Outcome] = []
        for compiled in rules:
            again = await self._run(compiled, clamped, tool, totals, run)
            if again is None or again.decision is Decision.ALLOW:
                continue
            if again.decision is _APPROVAL:
                if compiled.rule.id not in asked:
                    extra.append(_Outcome(compiled.rule.id, again))
                continue
            reason = f"clamped arguments still violate this rule: {again.reason}"
            extra.append(
                _Outcome(compiled.rule.id, Verdict(rule=compiled.rule.id, decision=Decision.DENY, reason=reason))
            )
        return extra

    async def _run(
        self, compiled: CompiledRule, action: ProposedAction, tool: ToolInfo, totals: RunTotals, run: RunView
    ) -> Verdict | None:
        ctx = CheckContext(
            goal=run.goal,
            rule=compiled.ref,
            tool=tool,
            facts=run.facts,
            totals=totals,
            untrusted_texts=tuple(run.untrusted_texts),
        )
        try:
            verdict = await compiled.check(action.model_copy(deep=True), ctx)
        except Exception as exc:  # the engine's one fail-closed catch: a crashing check denies the action
            log.exception("guardrail check %r (rule %r) crashed", compiled.check.name, compiled.rule.id)
            return Verdict(rule=compiled.rule.id, decision=Decision.DENY, reason=f"check crashed: {exc!r}")
        if verdict is None:
            return None
        if not isinstance(verdict, Verdict):
            reason = f"check returned {type(verdict).__name__}, not a Verdict"
            return Verdict(rule=compiled.rule.id, decision=Decision.DENY, reason=reason)
        return _conform(verdict, compiled)


def _blind_spot(compiled: CompiledRule, tool: ToolInfo, run: RunView) -> Verdict | None:
    """Deny what a check cannot judge: a tool of a capability whose guarded tools the registry no longer has."""
    guards = compiled.check.guards
    if not guards or tool.name in guards or (tool.known and tool.reversibility is Reversibility.READ):
        return None
    missing = sorted(g for g in guards if g not in run.tools and capability_of(g) == tool.capability)
    if not tool.capability or not missing:
        return None
    reason = (
        f"cannot judge {tool.name}: this rule guards {', '.join(missing)}, which the server's tool registry does "
        "not have (renamed or removed?); refusing rather than letting an unjudged call through"
    )
    return Verdict(rule=compiled.rule.id, decision=Decision.DENY, reason=reason)


def _conform(verdict: Verdict, compiled: CompiledRule) -> Verdict:
    """Attribute the verdict to its rule; a clamp the rule does not allow becomes the rule's own answer."""
    rule = compiled.rule
    if verdict.decision is Decision.CLAMP and rule.on_violation is not OnViolation.CLAMP:
        return Verdict(rule=rule.id, decision=rule.on_violation.decision, reason=verdict.reason)
    return verdict.model_copy(update={"rule": rule.id})


def _checked_clamp(verdict: Verdict, action: ProposedAction) -> Verdict:
    """A clamp must change some arguments and drop none; otherwise the violation stands and the action is denied."""
    clamped = verdict.clamped_args
    problem = None
    if clamped is None:
        problem = "no clamped arguments given"
    elif set(action.args) - set(clamped):
        problem = f"clamp would drop arguments {sorted(set(action.args) - set(clamped))}"
    elif clamped == action.args:
        problem = "clamp changes nothing"
    if problem is None:
        return verdict
    return Verdict(rule=verdict.rule, decision=Decision.DENY, reason=f"{verdict.reason} ({problem}: invalid clamp)")


def _risk(tool: ToolInfo, verdicts: list[Verdict]) -> str:
    decisions = {v.decision for v in verdicts}
    if tool.reversibility is Reversibility.IRREVERSIBLE or decisions & {_APPROVAL, Decision.DENY}:
        return "high"
    if tool.reversibility is Reversibility.COMPENSABLE or Decision.CLAMP in decisions:
        return "medium"
    return "low"
