"""Bundled example goals (YAML)."""
