"""Cadencia: safe, goal-driven marketing operations for LLM agents over MCP."""

__version__ = "0.1.0"
