"""Safety at the servers: the server policy, approvals, daily budgets, freeze and the audit, for every MCP client.

`call` and `hook` are what every server imports; `guard` (the policy engine) loads only where a policy is served.
"""
