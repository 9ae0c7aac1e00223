"""Roll back a run: undo its reversible actions newest first; report what is compensable, irreversible or failed.

Never silent: every undo attempt is audited, and a failed undo is reported, not swallowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel

from cadencia.agents.actions import ExecutedAction
from cadencia.agents.toolbox import Toolbox
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.names import undo_tool
from cadencia.tools.reversibility import Reversibility


class RollbackStatus(StrEnum):
    UNDONE = "undone"
    FAILED = "failed"
    COMPENSABLE = "compensable"
    IRREVERSIBLE = "irreversible"
    NOTHING_TO_UNDO = "nothing_to_undo"


class RollbackItem(BaseModel):
    action_id: str
    tool: str
    status: RollbackStatus
    detail: str = ""


class RollbackReport(BaseModel):
    run_id: str
    items: list[RollbackItem]

    def count(self, status: RollbackStatus) -> int:
        return sum(1 for i in self.items if i.status is status)

    @property
    def complete(self) -> bool:
        return self.count(RollbackStatus.FAILED) == 0


async def rollback(
    run_id: str, executed: Sequence[ExecutedAction], *, toolbox: Toolbox, audit: AuditLog, actor: str = "human:cli"
) -> RollbackReport:
    items: list[RollbackItem] = []
    for action in reversed([e for e in executed if e.ok and e.reversibility is not Reversibility.READ]):
        if action.reversibility is Reversibility.REVERSIBLE and action.undo_token:
            outcome = await toolbox.call(
                undo_tool(action.tool),
                {"token": action.undo_token, "idempotency_key": f"{run_id}.undo.{action.action_id}"},
            )
            status = RollbackStatus.UNDONE if outcome.ok else RollbackStatus.FAILED
            restored = outcome.structured.get("restored") if isinstance(outcome.structured, dict) else None
            detail = "restored " + ", ".join(map(str, restored)) if outcome.ok and restored else outcome.text[:500]
            item = RollbackItem(action_id=action.action_id, tool=action.tool, status=status, detail=detail)
        elif action.reversibility is Reversibility.REVERSIBLE:
            item = RollbackItem(
                action_id=action.action_id,
                tool=action.tool,
                status=RollbackStatus.FAILED,
                detail="reversible but no undo token was returned",
            )
        elif action.reversibility is Reversibility.COMPENSABLE:
            item = RollbackItem(
                action_id=action.action_id,
                tool=action.tool,
                status=RollbackStatus.COMPENSABLE,
                detail="cannot be erased; offset it (e.g. pause the campaign, restore the price)",
            )
        else:
            item = RollbackItem(
                action_id=action.action_id,
                tool=action.tool,
                status=RollbackStatus.IRREVERSIBLE,
                detail="cannot be undone (already sent, public or committed)",
            )
        audit.append(run_id=run_id, actor=actor, kind=AuditKind.UNDO, payload=item.model_dump(mode="json"))
        items.append(item)
    return RollbackReport(run_id=run_id, items=items)
