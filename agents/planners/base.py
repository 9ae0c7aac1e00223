"""What every planner receives and returns."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from cadencia.agents.actions import ExecutedAction, ProposedAction
from cadencia.agents.goal import Goal
from cadencia.agents.observation import Observation
from cadencia.agents.taint import UntrustedText
from cadencia.agents.toolbox import Toolbox


class PlanningInput(BaseModel):
    goal: Goal
    observation: Observation
    cycle: int
    executed: list[ExecutedAction] = Field(default_factory=list, description="What already ran this run.")
    rejected_requests: list[str] = Field(
        default_factory=list, description="rejection_key(tool, entities) of actions refused this run: don't repeat."
    )
    untrusted: list[UntrustedText] = Field(
        default_factory=list,
        description="Every third-party text the run has in view this cycle, with the tool and object it came from.",
    )


def rejection_key(tool: str, entities: list[str]) -> str:
    return f"{tool}|{','.join(entities)}"


class Plan(BaseModel):
    actions: list[ProposedAction]
    llm_calls: int = 0
    llm_tokens: int = 0
    note: str = ""


class Planner(Protocol):
    name: str

    async def plan(self, request: PlanningInput, toolbox: Toolbox) -> Plan: ...
