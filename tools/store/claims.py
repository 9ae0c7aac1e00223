"""The approved-claims library shared by ads copy, messages and review replies."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, String, Table, Text

from cadencia.tools.store.metadata import metadata

claims = Table(
    "claims",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("language", String(2), nullable=False),
    Column("approved", Boolean, nullable=False),
    Column("skus", Text, nullable=False, default="[]"),
)
"""A claim marketing may make. `skus` is a JSON list; empty means brand-wide."""
