"""Who a write is for: the server's safety layer names each call, and the store's call record keeps that name, so
the audit log and the servers' own record of calls can be compared (a call in one and not the other is reported)."""

from __future__ import annotations

from contextvars import ContextVar

CALL_PRINCIPAL: ContextVar[str | None] = ContextVar("cadencia_call_principal", default=None)
"""Set around one tool call by the servers' safety layer; `Store.write` records it when no principal is given."""
