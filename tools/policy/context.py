"""What a check sees when it judges one action: goal, its rule, the tool, facts, run totals and untrusted texts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict

from cadencia.tools.names import capability_of
from cadencia.tools.policy.actions import Decision, JsonArgs, Verdict
from cadencia.tools.policy.facts import Facts
from cadencia.tools.policy.goal import Goal
from cadencia.tools.policy.totals import RunTotals
from cadencia.tools.reversibility import Reversibility

Unknown = Literal["require_approval", "deny"]
"""What a check answers when a figure it needs is unknown (fail closed)."""


def _compiles(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regex {pattern!r}: {exc}") from exc
    return patterns


Regexes = Annotated[list[str], AfterValidator(_compiles)]
"""A list of regular expressions, each checked to compile when the policy loads."""


class CheckParams(BaseModel):
    """Base of every check's parameters: strict, so a typo in a policy is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(CheckParams):
    """For checks that take no parameters."""


P = TypeVar("P", bound=CheckParams)


class OnViolation(StrEnum):
    DENY = "deny"
    REQUIRE_APPROVAL = "require_approval"
    CLAMP = "clamp"

    @property
    def decision(self) -> Decision:
        return Decision(self.value)


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the trusted registry knows it; unknown tools are treated as irreversible."""

    name: str
    reversibility: Reversibility
    known: bool

    @property
    def capability(self) -> str:
        """`ads` for `ads_set_budget`; empty for a tool outside Cadencia's capabilities."""
        return capability_of(self.name) or ""


@dataclass(frozen=True)
class RuleRef(Generic[P]):
    """The policy rule a check runs under, with its validated parameters."""

    id: str
    params: P
    on_violation: OnViolation


@dataclass(frozen=True)
class CheckContext(Generic[P]):
    """Everything a check may use; built by the engine for each rule and action."""

    goal: Goal
    rule: RuleRef[P]
    tool: ToolInfo
    facts: Facts
    totals: RunTotals
    untrusted_texts: tuple[str, ...] = ()

    @property
    def params(self) -> P:
        return self.rule.params

    @property
    def reversibility(self) -> Reversibility:
        return self.tool.reversibility

    def violation(self, reason: str, *, clamped_args: JsonArgs | None = None) -> Verdict:
        """The rule's configured answer; when it says clamp but no clamp is possible, deny."""
        decision = self.rule.on_violation.decision
        if decision is Decision.CLAMP and clamped_args is None:
            return Verdict(rule=self.rule.id, decision=Decision.DENY, reason=f"{reason} (cannot clamp)")
        if decision is not Decision.CLAMP:
            clamped_args = None
        return Verdict(rule=self.rule.id, decision=decision, reason=reason, clamped_args=clamped_args)

    def deny(self, reason: str) -> Verdict:
        return Verdict(rule=self.rule.id, decision=Decision.DENY, reason=reason)

    def require_approval(self, reason: str) -> Verdict:
        return Verdict(rule=self.rule.id, decision=Decision.REQUIRE_APPROVAL, reason=reason)

    def unknown(self, reason: str, when: Unknown) -> Verdict:
        """Fail closed on a missing figure."""
        return Verdict(rule=self.rule.id, decision=Decision(when), reason=f"unknown: {reason}")
