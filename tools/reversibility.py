"""Reversibility classes every tool declares, and the MCP hints that honestly match them."""

from __future__ import annotations

from enum import StrEnum

META_KEY = "cadencia/reversibility"


class Reversibility(StrEnum):
    """What it takes to take an effect back."""

    READ = "read"
    """No effect on the world."""
    REVERSIBLE = "reversible"
    """An undo token restores the prior state exactly."""
    COMPENSABLE = "compensable"
    """The effect can be offset, not erased (spend spent, a price customers saw)."""
    IRREVERSIBLE = "irreversible"
    """Cannot be taken back (a sent message, a public reply, a confirmed purchase order)."""

    @property
    def mutates(self) -> bool:
        return self is not Reversibility.READ
