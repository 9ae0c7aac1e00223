"""Actions live in `cadencia.tools.policy.actions` (shared with the servers); this name stays for existing imports."""

from cadencia.tools.policy.actions import Assessment, Decision, ExecutedAction, JsonArgs, ProposedAction, Verdict

__all__ = ["Assessment", "Decision", "ExecutedAction", "JsonArgs", "ProposedAction", "Verdict"]
