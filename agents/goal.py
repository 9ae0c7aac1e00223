"""Goals live in `cadencia.tools.policy.goal` (the policy language both sides share); this name stays for imports."""

from cadencia.tools.policy.goal import KPI, Autonomy, Channel, Constraints, Goal, GoalError, Metric

__all__ = ["KPI", "Autonomy", "Channel", "Constraints", "Goal", "GoalError", "Metric"]
