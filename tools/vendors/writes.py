"""Every vendor write passes here: idempotent replay, our checks, then send + ledger, or a shadow proposal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from cadencia.tools.errors import CadenciaError, VendorError, VendorUnavailable
from cadencia.tools.undo import UndoResult
from cadencia.tools.vendors.ledger import ObjectChange, VendorLedger

R = TypeVar("R", bound=BaseModel)


@dataclass
class Sent(Generic[R]):
    """What the vendor answered: the final result and object images (ids of created objects are known only now)."""

    result: R
    changes: list[ObjectChange]


@dataclass
class WritePlan(Generic[R]):
    """A checked write, ready to send: its expected result, object images, effect and how to send or dry-run it."""

    result: R
    changes: list[ObjectChange]
    effect: str
    send: Callable[[], Awaitable[Sent[R] | None]]
    dry_run: Callable[[], Awaitable[None]] | None = None
    reversible: bool = True
    notes: list[str] = field(default_factory=list)
    local: bool = False
    """Only Cadencia's ledger changes (a draft, an internal flag): applied even in shadow mode, nothing is sent."""


class VendorWrites:
    """Runs a write plan against one vendor, live or in shadow mode (validated, recorded as a proposal, not sent)."""

    def __init__(self, ledger: VendorLedger, *, vendor: str, shadow: bool) -> None:
        self.ledger, self.vendor, self.shadow = ledger, vendor, shadow

    async def run(
        self,
        *,
        tool: str,
        args: dict[str, Any],
        key: str | None,
        result_type: type[R],
        plan: Callable[[], Awaitable[WritePlan[R]]],
    ) -> R:
        prior = self.ledger.replay(tool=tool, args=args, key=key, result_type=result_type)
        if prior is not None:
            return prior
        try:
            planned = await plan()
        except VendorUnavailable:
            raise
        except CadenciaError as exc:
            if self.shadow:
                self.ledger.propose(
                    tool=tool, args=args, verdict="refused", detail=str(exc), effect="", validated_by="cadencia"
                )
            raise
        if self.shadow and not planned.local:
            return await self._propose(tool, args, planned)
        sent = await planned.send()
        result, changes = (sent.result, sent.changes) if sent is not None else (planned.result, planned.changes)
        return self.ledger.record(
            tool=tool, args=args, key=key, result=result, changes=changes, reversible=planned.reversible
        )

    async def _propose(self, tool: str, args: dict[str, Any], planned: WritePlan[R]) -> R:
        validated_by = "cadencia"
        if planned.dry_run is not None:
            try:
                await planned.dry_run()
            except VendorUnavailable:
                raise
            except VendorError as exc:
                self.ledger.propose(
                    tool=tool,
                    args=args,
                    verdict="refused",
                    detail=str(exc),
                    effect=planned.effect,
                    validated_by=f"{self.vendor} dry run",
                )
                raise
            validated_by = f"cadencia + {self.vendor} dry run"
        detail = "; ".join(planned.notes) or "passed the server's checks"
        self.ledger.propose(
            tool=tool, args=args, verdict="would_apply", detail=detail, effect=planned.effect, validated_by=validated_by
        )
        return planned.result


async def undo_with_vendor(
    writes: VendorWrites,
    *,
    token: str,
    key: str | None,
    compensate: Callable[[ObjectChange, str], Awaitable[None]],
    local_kinds: frozenset[str] = frozenset(),
) -> UndoResult:
    """Undo one recorded write: compensating vendor writes (newest first, each with its own compare step), then the
    ledger restores its images and spends the token. In shadow mode the undo is only proposed, unless every object
    it restores lives only in the ledger (`local_kinds`)."""
    prior = writes.ledger.replay(tool="undo", args={"token": token}, key=key, result_type=UndoResult)
    if prior is not None:
        return prior
    tool, changes = writes.ledger.undo_plan(token)
    restored = [f"{c.kind} {c.object_id}" for c in changes]
    if writes.shadow and not all(c.kind in local_kinds for c in changes):
        writes.ledger.propose(
            tool="undo",
            args={"token": token},
            verdict="would_apply",
            detail=f"undo {tool}",
            effect="restore " + ", ".join(restored),
            validated_by="cadencia",
        )
        return UndoResult(token=token, tool=tool, restored=restored)
    for change in reversed(changes):
        await compensate(change, f"undo-{token}-{change.object_id}"[-200:])
    return writes.ledger.finish_undo(token, key)
