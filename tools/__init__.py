"""Capability logic: domain models, backend protocols, the sandbox store and vendor adapters (no MCP here)."""
