"""Shared plumbing for the sandbox implementations of every capability."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection

from cadencia.tools.limits import Limits
from cadencia.tools.store.mutation import Mutation
from cadencia.tools.store.store import Store
from cadencia.tools.undo import UndoResult, undo_call

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class SandboxCapability:
    """Base of the SQL sandbox backends: one transaction per call, idempotency keys, undo journal, SQL off the loop."""

    capability: str = ""

    def __init__(self, store: Store, limits: Limits | None = None) -> None:
        self.store = store
        self.limits = limits or Limits()

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        """`fn` in one read connection, on a worker thread (the event loop keeps serving meanwhile)."""

        def run() -> T:
            with self.store.reading() as conn:
                return fn(conn)

        return await self.store.offload.run(run)

    async def _write(
        self,
        tool: str,
        args: dict[str, Any],
        idempotency_key: str | None,
        apply: Callable[[Mutation], R],
        result_type: type[R],
        *,
        reversible: bool,
    ) -> R:
        """One mutating call (`Store.write`), on a worker thread."""
        return await self.store.offload.run(
            lambda: self.store.write(
                capability=self.capability,
                tool=tool,
                args=args,
                idempotency_key=idempotency_key,
                apply=apply,
                result_type=result_type,
                reversible=reversible,
            )
        )

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        return await self.store.offload.run(
            lambda: undo_call(self.store, capability=self.capability, token=token, idempotency_key=idempotency_key)
        )
