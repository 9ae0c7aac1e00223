"""Routers: which node runs next."""

from __future__ import annotations

from typing import Literal

from cadencia.agents.actions import Decision
from cadencia.agents.state import AgentState


def after_plan(state: AgentState) -> Literal["guard", "verify"]:
    return "guard" if state.get("queue") else "verify"


def after_guard(state: AgentState) -> Literal["approve", "act", "guard", "verify"]:
    current = state.get("current")
    if current is None:
        return "guard" if state.get("queue") else "verify"
    if current.decision is Decision.REQUIRE_APPROVAL:
        return "approve"
    return "act"


def after_approve(state: AgentState) -> Literal["act", "guard", "verify"]:
    if state.get("current") is not None:
        return "act"
    return "guard" if state.get("queue") else "verify"


def after_act(state: AgentState) -> Literal["approve", "guard", "verify"]:
    current = state.get("current")
    if current is not None and current.decision is Decision.REQUIRE_APPROVAL:
        return "approve"
    return "guard" if state.get("queue") else "verify"


def after_verify(state: AgentState) -> Literal["observe", "report"]:
    return "report" if state.get("stop_reason") else "observe"
