"""Roll back a run: undo its reversible actions newest first; report what is compensable, irreversible, failed or
missing from the servers' record.

It works from the durable record (`agents/executions.py`: the audit log plus the servers' call record), not from the
last graph checkpoint, so a run killed mid-cycle is rolled back whole. Never silent: every undo attempt is audited,
and anything that could not be undone is reported (`RollbackReport.complete` is False).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from cadencia.agents.executions import RecordedExecution, RunExecutions, undo_key
from cadencia.agents.toolbox import Toolbox
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.names import undo_tool
from cadencia.tools.reversibility import Reversibility


class RollbackStatus(StrEnum):
    UNDONE = "undone"
    ALREADY_UNDONE = "already_undone"
    FAILED = "failed"
    NOT_FOUND = "not_found"
    COMPENSABLE = "compensable"
    IRREVERSIBLE = "irreversible"

    @property
    def remains(self) -> bool:
        """The action's effect is still in the world after this rollback."""
        return self not in {RollbackStatus.UNDONE, RollbackStatus.ALREADY_UNDONE}


class RollbackItem(BaseModel):
    action_id: str
    tool: str
    status: RollbackStatus
    detail: str = ""
    source: str = "audit"
    """Where the execution was found: `audit`, `servers` or `audit+servers`."""


class RollbackReport(BaseModel):
    run_id: str
    items: list[RollbackItem]
    servers_consulted: bool = True

    def count(self, status: RollbackStatus) -> int:
        return sum(1 for i in self.items if i.status is status)

    @property
    def complete(self) -> bool:
        """Every change the run made is undone (nothing failed, missing, compensable or irreversible remains)."""
        return not any(i.status.remains for i in self.items)


def _source(entry: RecordedExecution) -> str:
    return "+".join(s for s, present in (("audit", entry.in_audit), ("servers", entry.in_servers)) if present)


async def _undo(run_id: str, entry: RecordedExecution, toolbox: Toolbox) -> tuple[RollbackStatus, str]:
    action = entry.action
    if entry.undone:
        return RollbackStatus.ALREADY_UNDONE, "undone by an earlier rollback"
    if action.reversibility is Reversibility.COMPENSABLE:
        return RollbackStatus.COMPENSABLE, "cannot be erased; offset it (e.g. pause the campaign, restore the price)"
    if action.reversibility is not Reversibility.REVERSIBLE:
        return RollbackStatus.IRREVERSIBLE, "cannot be undone (already sent, public, committed or final)"
    if entry.in_servers is False:
        return RollbackStatus.NOT_FOUND, "audited as executed, but the servers' call record has no such call"
    if not action.undo_token:
        return RollbackStatus.FAILED, "reversible but no undo token was recorded"
    outcome = await toolbox.call(
        undo_tool(action.tool), {"token": action.undo_token, "idempotency_key": undo_key(run_id, action.action_id)}
    )
    if not outcome.ok:
        return RollbackStatus.FAILED, outcome.text
    restored = outcome.structured.get("restored") if isinstance(outcome.structured, dict) else None
    return RollbackStatus.UNDONE, "restored " + ", ".join(map(str, restored)) if restored else "undone"


async def rollback(
    executions: RunExecutions, *, toolbox: Toolbox, audit: AuditLog, actor: str = "human:cli"
) -> RollbackReport:
    """Undo newest first; audit one `undo` record per action, whatever happened to it."""
    run_id = executions.run_id
    items: list[RollbackItem] = []
    for entry in reversed(executions.items):
        status, detail = await _undo(run_id, entry, toolbox)
        action = entry.action
        item = RollbackItem(
            action_id=action.action_id, tool=action.tool, status=status, detail=detail, source=_source(entry)
        )
        audit.append(run_id=run_id, actor=actor, kind=AuditKind.UNDO, payload=item.model_dump(mode="json"))
        items.append(item)
    return RollbackReport(run_id=run_id, items=items, servers_consulted=executions.servers_consulted)
