"""Every execution of a run, from the durable record rather than the last graph checkpoint.

A run killed mid-cycle has executed actions its last checkpoint never saw. The audit log records each execution as
it returns, and the servers' call record (`calls`, when the store is reachable from here) holds every write they
acknowledged under the run's idempotency keys, even one whose audit record the crash cut off. Rollback works from
the union, and knows from the same record which actions an earlier rollback already undid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from cadencia.agents.actions import ExecutedAction
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.names import qualified
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.journal import calls
from cadencia.tools.store.store import Store

UNDO_MARK = "undo"
"""Rollback's idempotency keys are `<run_id>.undo.<action_id>`; the run's own are `<run_id>.<action_id>.<hash>`."""


def undo_key(run_id: str, action_id: str) -> str:
    return f"{run_id}.{UNDO_MARK}.{action_id}"


class RecordedExecution(BaseModel):
    """One execution of the run and where it was found."""

    action: ExecutedAction
    in_audit: bool
    in_servers: bool | None
    """Whether the servers' call record holds it; None when that record was not reachable (remote servers)."""
    undone: bool = False
    """An earlier rollback undid it (audit `undo` record or the servers' record of the undo call)."""


class RunExecutions(BaseModel):
    run_id: str
    items: list[RecordedExecution]
    servers_consulted: bool

    @classmethod
    def of(cls, run_id: str, executed: Sequence[ExecutedAction]) -> RunExecutions:
        """From a list the caller holds (e.g. an embedder's own state): what ran and changed the world."""
        items = [
            RecordedExecution(action=a, in_audit=False, in_servers=None)
            for a in executed
            if a.ok and a.reversibility is not Reversibility.READ
        ]
        return cls(run_id=run_id, items=items, servers_consulted=False)


def _audited(audit: AuditLog, run_id: str) -> tuple[list[ExecutedAction], set[str]]:
    executed: dict[str, ExecutedAction] = {}
    undone: set[str] = set()
    for record in audit.iter_records(run_id=run_id):
        if record.kind is AuditKind.EXECUTION:
            try:
                action = ExecutedAction.model_validate(record.payload)
            except ValidationError:
                continue
            executed.setdefault(action.idempotency_key, action)
        elif record.kind is AuditKind.UNDO and record.payload.get("status") == "undone":
            undone.add(str(record.payload.get("action_id")))
    return list(executed.values()), undone


def _action_id(run_id: str, key: str) -> str | None:
    """`<run_id>.<action_id>.<hash16>` → action id; None for keys of other runs and for rollback's undo keys."""
    if not key.startswith(run_id + "."):
        return None
    rest = key[len(run_id) + 1 :]
    if rest.startswith(UNDO_MARK + "."):
        return None
    action_id, _, digest = rest.rpartition(".")
    return action_id or None if len(digest) == 16 else None


def _server_calls(store: Store, run_id: str) -> list[Mapping[str, Any]]:
    with store.reading() as conn:
        rows = conn.execute(
            select(calls).where(calls.c.idempotency_key.like(f"{run_id}.%")).order_by(calls.c.seq)
        ).mappings()
        return [dict(r) for r in rows]


def _from_server(row: Mapping[str, Any], action_id: str, registry: Mapping[str, Reversibility]) -> ExecutedAction:
    tool = qualified(row["capability"], row["tool"])
    try:
        args = json.loads(row["args"])
    except ValueError:
        args = {}
    return ExecutedAction(
        action_id=action_id,
        tool=tool,
        args=args if isinstance(args, dict) else {},
        reversibility=registry.get(tool, Reversibility.IRREVERSIBLE),
        ok=True,
        undo_token=row["undo_token"],
        idempotency_key=row["idempotency_key"],
    )


def run_executions(
    run_id: str, *, audit: AuditLog, store: Store | None, registry: Mapping[str, Reversibility]
) -> RunExecutions:
    """Every world-changing execution of `run_id`, oldest first (servers' order when their record is at hand).

    `registry` gives the reversibility of tools found only in the servers' record (unknown tools count as
    irreversible).
    """
    audited, undone = _audited(audit, run_id)
    mutating = [a for a in audited if a.ok and a.reversibility is not Reversibility.READ]
    if store is None:
        items = [
            RecordedExecution(action=a, in_audit=True, in_servers=None, undone=a.action_id in undone) for a in mutating
        ]
        return RunExecutions(run_id=run_id, items=items, servers_consulted=False)
    by_key = {a.idempotency_key: a for a in mutating}
    rows = _server_calls(store, run_id)
    undone |= {
        key.removeprefix(f"{run_id}.{UNDO_MARK}.")
        for key in (str(r["idempotency_key"]) for r in rows)
        if key.startswith(f"{run_id}.{UNDO_MARK}.")
    }
    seen: set[str] = set()
    found: list[RecordedExecution] = []
    for row in rows:
        key = str(row["idempotency_key"])
        action_id = _action_id(run_id, key)
        if action_id is None or key in seen:
            continue
        seen.add(key)
        audited_action = by_key.get(key)
        action = audited_action or _from_server(row, action_id, registry)
        if audited_action is not None and not audited_action.undo_token and row["undo_token"]:
            action = audited_action.model_copy(update={"undo_token": row["undo_token"]})
        found.append(
            RecordedExecution(
                action=action, in_audit=audited_action is not None, in_servers=True, undone=action_id in undone
            )
        )
    missing = [
        RecordedExecution(action=a, in_audit=True, in_servers=False, undone=a.action_id in undone)
        for a in mutating
        if a.idempotency_key not in seen
    ]
    return RunExecutions(run_id=run_id, items=missing + found, servers_consulted=True)
