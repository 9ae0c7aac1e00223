"""crm MCP tools: thin wrappers over a backend."""

from __future__ import annotations

from cadencia.servers.toolset import ToolSet

tools = ToolSet("crm")
