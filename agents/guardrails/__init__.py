"""Guardrails for the agent: the policy language and engine live in `cadencia.tools.policy` (shared with the servers);
this name stays for existing imports."""

from cadencia.tools.policy import *  # noqa: F403 (the same names, listed once in tools.policy)
from cadencia.tools.policy import __all__ as __all__
