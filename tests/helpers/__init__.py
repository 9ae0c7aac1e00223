"""Helpers shared by test modules, e.g. `from helpers.mcp import call_ok` (tests/conftest.py puts tests/ on
sys.path): mcp (in-memory sessions), chat (scripted models), agents (running the graph), guard (a small world for
guardrail checks), scorers (hand-built episodes and runs), audit (tampering with an audit log on SQLite or
PostgreSQL), replicas (server processes on one database and a JSON-RPC client for them)."""
