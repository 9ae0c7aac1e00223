"""Per-run dependencies handed to the graph as its LangGraph runtime context (never checkpointed, so immutable:
whatever a decision reads that changes during a run is in the graph's state)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cadencia.agents.gate import Gate
from cadencia.agents.planners.base import Planner
from cadencia.agents.toolbox import Toolbox

EnvironmentStep = Callable[[], Awaitable[None]]
"""Advances the world between cycles (the simulator's day); None on a live or static store."""


@dataclass(frozen=True)
class RunContext:
    toolbox: Toolbox
    gate: Gate
    planner: Planner
    advance: EnvironmentStep | None = None
    max_cycles: int = 7
    stop_when_idle: bool = True
