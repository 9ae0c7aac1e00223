"""The servers' own call record against the audit log: a call that changed the world but never reached the log
(a crash between execute and append) is found and named."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from cadencia.servers.safety.call import CALL_REF_PREFIX
from cadencia.tools.audit import AuditLog
from cadencia.tools.store.journal import calls
from cadencia.tools.store.store import Store


@dataclass(frozen=True)
class UnauditedCall:
    """A guarded call the store recorded and the audit log does not have."""

    call_ref: str
    capability: str
    tool: str
    recorded_at: str


def unaudited_calls(store_url: str | Path, log: AuditLog) -> list[UnauditedCall]:
    """Every call the servers' safety layer named (principal `call-…`) with no audit record of that name."""
    audited = {
        record.payload.get("call_ref")
        for record in log.iter_records()
        if record.run_id.startswith("mcp:") and isinstance(record.payload, dict)
    }
    store = Store.open(store_url, create=False)
    try:
        with store.reading() as conn:
            rows = conn.execute(
                select(calls.c.principal, calls.c.capability, calls.c.tool, calls.c.recorded_at)
                .where(calls.c.principal.like(f"{CALL_REF_PREFIX}%"))
                .order_by(calls.c.seq)
            ).all()
    finally:
        store.close()
    return [UnauditedCall(ref, cap, tool, when) for ref, cap, tool, when in rows if ref not in audited]
