"""The graph's state (checkpointed) and its per-run context (not checkpointed: sessions, planner, audit)."""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypedDict

from pydantic import BaseModel, Field

from cadencia.agents.actions import Assessment, ExecutedAction, ProposedAction
from cadencia.agents.approvals import ApprovalOutcome, ApprovalRequest
from cadencia.agents.goal import Goal
from cadencia.agents.observation import Observation


class RunTotals(BaseModel):
    """Cumulative figures of the run, computed from what executed (never from a planner's claims)."""

    actions: int = 0
    tool_calls: int = 0
    llm_calls: int = 0
    llm_tokens: int = 0
    spend_moved_minor: int = 0
    contacts_messaged: int = 0


class Rejection(BaseModel):
    action_id: str
    tool: str
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
    observation: Observation | None
    kpi_start: float | None
    queue: list[ProposedAction]
    current: Assessment | None
    pending: ApprovalRequest | None
    executed: Annotated[list[ExecutedAction], operator.add]
    rejections: Annotated[list[Rejection], operator.add]
    approvals: Annotated[list[ApprovalOutcome], operator.add]
    llm_calls: int
    llm_tokens: int
    stop_reason: str | None
    report: RunReport | None


EnvironmentStep = Callable[[], Awaitable[None]]
"""Advances the world between cycles (the simulator's day); None on a live or static store."""


@dataclass
class RunContext:
    """Per-run dependencies, handed to the graph as its LangGraph runtime context."""

    toolbox: object
    gate: object
    planner: object
    advance: EnvironmentStep | None = None
    max_cycles: int = 7
