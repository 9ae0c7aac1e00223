"""Actions: what a planner proposes, what guardrails decide about it, and what actually ran."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, JsonValue

from cadencia.tools.reversibility import Reversibility

JsonArgs = dict[str, JsonValue]


class ProposedAction(BaseModel):
    """One tool call a planner wants to make, with why and what it expects."""

    id: str = Field(description="Stable id within the run, e.g. 'step3-a2'.")
    tool: str = Field(description="Tool name as the graph sees it, e.g. 'ads_set_budget'.")
    args: JsonArgs
    rationale: str = ""
    expected_effect: str = ""
    entities: list[str] = Field(default_factory=list, description="Affected ids (SKUs, campaigns, segments...).")
    source: str = Field("planner", description="Who proposed it: planner:heuristic, planner:llm, middleware...")


class Decision(StrEnum):
    ALLOW = "allow"
    CLAMP = "clamp"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Decision.ALLOW: 0, Decision.CLAMP: 1, Decision.REQUIRE_APPROVAL: 2, Decision.DENY: 3}


class Verdict(BaseModel):
    """One rule's decision about one action."""

    rule: str = Field(description="Policy rule id that fired.")
    decision: Decision
    reason: str
    clamped_args: JsonArgs | None = Field(None, description="For clamp: the modified arguments.")


class Assessment(BaseModel):
    """Everything the choke point decided about an action before it may run."""

    action: ProposedAction
    reversibility: Reversibility
    verdicts: list[Verdict]
    decision: Decision = Field(description="Most severe verdict (deny > require_approval > clamp > allow).")
    effective_args: JsonArgs = Field(description="Arguments that would run (after clamps).")
    request_hash: str = Field(description="`request_hash(tool, effective_args)`: an approval applies to it only.")
    risk: str = Field("low", description="low / medium / high, for the approver.")

    @property
    def denial(self) -> str:
        """Why it was denied: every denying rule and its reason."""
        fired = [v for v in self.verdicts if v.decision is Decision.DENY]
        return "; ".join(f"{v.rule}: {v.reason}" for v in fired) or "denied"


class ExecutedAction(BaseModel):
    """A tool call that ran (or failed) in the world, with what the server returned."""

    action_id: str
    tool: str
    args: JsonArgs
    reversibility: Reversibility
    ok: bool
    result: JsonValue = None
    error: str | None = None
    undo_token: str | None = None
    idempotency_key: str
    approved_by: str | None = None
    spend_moved_minor: int = Field(0, description="Absolute budget change this call made, from the server's result.")
    contacts_messaged: int = Field(0, description="Recipients this call reached, from the server's result.")
