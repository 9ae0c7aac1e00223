"""The graph's state, checkpointed: everything a guard decision reads (executed actions, untrusted text seen) is
here, so a run resumed in another process decides exactly as the original would have."""

from __future__ import annotations

import operator
from datetime import date
from typing import Annotated, TypedDict

from pydantic import BaseModel, Field

from cadencia.agents.actions import Assessment, ExecutedAction, ProposedAction
from cadencia.agents.approvals import ApprovalOutcome
from cadencia.agents.goal import Goal
from cadencia.agents.observation import Observation
from cadencia.agents.taint import Untrusted


class Rejection(BaseModel):
    action_id: str
    tool: str
    entities: list[str] = Field(default_factory=list)
    reason: str
    by: str = Field(description="guardrail rule id, or approval status.")


class RunReport(BaseModel):
    run_id: str
    goal_id: str
    kpi_metric: str
    kpi_start: float | None
    kpi_end: float | None
    kpi_target: float
    kpi_met: bool
    currency: str = "EUR"
    """The goal's currency: money KPIs (revenue, gross profit) are in its minor units."""
    cycles: int
    stop_reason: str
    actions_by_class: dict[str, int]
    approvals: dict[str, int]
    rejections: int
    spend_moved_minor: int
    contacts_messaged: int
    tool_calls: int
    llm_calls: int
    llm_tokens: int


class AgentState(TypedDict, total=False):
    run_id: str
    goal: Goal
    cycle: int
    start_day: date | None
    executed_at_cycle_start: int
    observation: Observation | None
    kpi_start: float | None
    queue: list[ProposedAction]
    current: Assessment | None
    untrusted: Untrusted
    executed: Annotated[list[ExecutedAction], operator.add]
    rejections: Annotated[list[Rejection], operator.add]
    approvals: Annotated[list[ApprovalOutcome], operator.add]
    tool_calls: Annotated[int, operator.add]
    llm_calls: Annotated[int, operator.add]
    llm_tokens: Annotated[int, operator.add]
    stop_reason: str | None
    report: RunReport | None
