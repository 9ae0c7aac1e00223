"""Who a write is for: the server's safety layer names each call, and the store's call record keeps that name, so
the audit log and the servers' own record of calls can be compared (a call in one and not the other is reported).
The store also tells the safety layer when it answered a call from its idempotency record instead of running it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

CALL_PRINCIPAL: ContextVar[str | None] = ContextVar("cadencia_call_principal", default=None)
"""Set around one tool call by the servers' safety layer; `Store.write` records it when no principal is given."""


@dataclass
class Replay:
    """Filled in by `Store.write` when it returned a stored result for a known idempotency key (nothing ran)."""

    replayed: bool = False
    original: str | None = None
    """The principal (the safety layer's call ref) of the call that ran, when the store knows it."""


CALL_REPLAY: ContextVar[Replay | None] = ContextVar("cadencia_call_replay", default=None)
"""Set around one tool call by the servers' safety layer (a mutable holder, so a worker thread's write reaches it)."""
