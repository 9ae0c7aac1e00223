"""Run totals computed from what actually executed (and metered model usage), never from a planner's claims."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.policy.actions import ExecutedAction


class LlmUsage(BaseModel):
    """Model calls and tokens as metered by the graph from provider responses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: int = Field(0, ge=0)
    tokens: int = Field(0, ge=0)


class RunTotals(BaseModel):
    """What the run has done so far, for blast-radius and compute budgets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool_calls: int = 0
    actions: int = Field(0, description="World-changing calls attempted (failed ones count: fail closed).")
    spend_moved_minor: int = 0
    contacts_messaged: int = 0
    llm_calls: int = 0
    llm_tokens: int = 0

    @classmethod
    def from_executed(cls, executed: Sequence[ExecutedAction], llm: LlmUsage | None = None) -> RunTotals:
        """Sum the servers' reported effects; `llm` comes from the model meter, not from the planner."""
        usage = llm or LlmUsage()
        return cls(
            tool_calls=len(executed),
            actions=sum(1 for e in executed if e.reversibility.mutates),
            spend_moved_minor=sum(abs(e.spend_moved_minor) for e in executed),
            contacts_messaged=sum(max(e.contacts_messaged, 0) for e in executed),
            llm_calls=usage.calls,
            llm_tokens=usage.tokens,
        )
