"""`undo` for any capability: restore what one reversible call changed, or refuse a stale token."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cadencia.tools.store.mutation import Mutation, RowChange
from cadencia.tools.store.store import Store


class UndoResult(BaseModel):
    """What an undo restored."""

    token: str
    tool: str = Field(description="The tool whose effect was undone.")
    restored: list[str] = Field(description="Entities put back, e.g. 'products ML-000001'.")


def undo_call(store: Store, *, capability: str, token: str, idempotency_key: str | None) -> UndoResult:
    """Undo one reversible call of `capability` in one transaction, recorded like any other write."""

    def apply(mutation: Mutation) -> UndoResult:
        tool, changes = store.undo(mutation.conn, capability=capability, token=token)
        return UndoResult(token=token, tool=tool, restored=describe_changes(changes))

    return store.write(
        capability=capability,
        tool="undo",
        args={"token": token},
        idempotency_key=idempotency_key,
        apply=apply,
        result_type=UndoResult,
    )


def describe_changes(changes: list[RowChange]) -> list[str]:
    labels: list[str] = []
    for change in changes:
        label = f"{change.table} " + "/".join(str(v) for v in change.key.values())
        if label not in labels:
            labels.append(label)
    return labels
