"""The LangGraph agent: goals, planners, guardrails, reversibility, approvals and the audit log."""
