"""Planners turn a goal and an observation into proposed actions."""

from cadencia.agents.planners.base import Plan, Planner, PlanningInput

__all__ = ["Plan", "Planner", "PlanningInput"]
