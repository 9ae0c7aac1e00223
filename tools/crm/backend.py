"""The crm capability's contract: the sandbox and any vendor adapter implement it."""

from __future__ import annotations

from typing import Protocol


class CrmBackend(Protocol):
    """Filled in by the crm capability."""
