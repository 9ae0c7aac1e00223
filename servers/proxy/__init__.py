"""Guard any MCP server: Cadencia's server policy, approvals, budgets, undo and audit in front of an upstream one.

`overlay` says what the upstream's tools do (reversibility, the amounts and audiences the policy reads, undo
recipes); `server` builds the guarding MCP server; `cli` is `cadencia proxy`.
"""
