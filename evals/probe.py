"""Undo fidelity, measured in the world: undo the first cycle's reversible calls on a copy and compare hashes.

Tables touched by a compensable or irreversible call of that cycle are left out of the comparison (their change
cannot be undone by design); every other world table must be byte-identical to before the agent acted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from cadencia.evals.trajectory import UndoProbe
from cadencia.evals.world import clone_store
from cadencia.evals.world.clients import CLIENT_KEY_PREFIX
from cadencia.tools.errors import CadenciaError
from cadencia.tools.store.journal import calls
from cadencia.tools.store.store import Store
from cadencia.tools.undo import undo_call


def undo_probe(
    store: Store,
    before: dict[str, str],
    path: Path,
    *,
    digests: Callable[[Path], dict[str, str]] | None = None,
) -> UndoProbe:
    """Undo the first cycle's calls on a copy of `store` at `path` and compare its table digests with `before`
    (`digests` reads a file's digests; default: `Store.table_hashes`, full passes)."""
    with store.reading() as conn:
        rows = conn.execute(select(calls).order_by(calls.c.seq)).mappings().all()
    # Another client's calls happened before `before` was taken: they are the world the agent found, not its own.
    rows = [r for r in rows if not (r["idempotency_key"] or "").startswith(CLIENT_KEY_PREFIX)]
    if not rows:
        return UndoProbe(checked=False, detail="no world-changing call in the first cycle")
    copy = clone_store(store, path)
    try:
        frozen: set[str] = set()
        undone = not_undoable = 0
        failures: list[str] = []
        for row in rows:
            if row["undo_token"] is None and row["tool"] != "undo":
                not_undoable += 1
                frozen |= set(json.loads(row["touched"] or "[]"))
        for row in reversed(rows):
            if row["undo_token"] is None:
                continue
            try:
                undo_call(copy, capability=row["capability"], token=row["undo_token"], idempotency_key=None)
                undone += 1
            except CadenciaError as exc:
                touched = set(json.loads(row["touched"] or "[]"))
                if touched & frozen:
                    continue  # an irreversible call changed the same rows since: expected, not a fidelity failure
                failures.append(f"{row['tool']}: {exc}")
        after = None if digests else copy.table_hashes()
    finally:
        copy.close()
    if after is None and digests:
        after = digests(path)
    differing = sorted(t for t, h in after.items() if h != before.get(t) and t not in frozen)
    identical = not differing and not failures
    detail = "; ".join(failures + [f"table {t} differs" for t in differing]) or f"{undone} undone, identical"
    return UndoProbe(checked=True, identical=identical, undone=undone, not_undoable=not_undoable, detail=detail)
