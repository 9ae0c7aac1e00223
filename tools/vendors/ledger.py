"""Cadencia's ledger of a vendor backend, on the same store mechanisms the sandbox uses.

`Store.write` gives the idempotency table, the call record and undo tokens; here the journaled rows are the
`vendor_objects` images (before = read back from the vendor before the write, after = what was written), so an
undo token carries exactly what a compensating write needs. Vendor writes happen outside the local transaction
(they are HTTP calls): a crash between the two leaves a vendor write without a ledger row, which a retry with the
same idempotency key repeats safely because every write carries a vendor idempotency key or a compare-and-set.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import insert, select, update

from cadencia.tools.errors import Conflict, InvalidArgument, NotFound
from cadencia.tools.store.canonical import canonical_json
from cadencia.tools.store.journal import idempotency, undo_log
from cadencia.tools.store.mutation import Mutation, RowChange, fetch_row
from cadencia.tools.store.store import Store, args_hash
from cadencia.tools.undo import UndoResult, undo_call
from cadencia.tools.vendors.tables import vendor_objects, vendor_proposals

R = TypeVar("R", bound=BaseModel)
State = dict[str, Any]


class ObjectChange(BaseModel):
    """A vendor object's state before and after one write; None means it did not exist."""

    kind: str
    object_id: str
    before: State | None
    after: State | None


class Proposal(BaseModel):
    """A write shadow mode did not send."""

    seq: int
    backend: str
    tool: str
    day: str
    recorded_at: str
    args: dict[str, Any]
    verdict: str
    detail: str
    effect: str
    validated_by: str


class VendorLedger:
    """Idempotency, call record, undo journal and shadow proposals of one vendor backend (keyed by its name)."""

    def __init__(self, store: Store, backend: str) -> None:
        self.store = store
        self.backend = backend

    def replay(self, *, tool: str, args: dict[str, Any], key: str | None, result_type: type[R]) -> R | None:
        """The recorded result of an earlier call with this key; a key reused for another call is refused."""
        if not key:
            return None
        with self.store.reading() as conn:
            prior = (
                conn.execute(
                    select(idempotency).where(idempotency.c.capability == self.backend, idempotency.c.key == key)
                )
                .mappings()
                .first()
            )
        if prior is None:
            return None
        if prior["tool"] != tool or prior["args_hash"] != args_hash(args):
            raise Conflict(
                f"idempotency_key {key!r} was already used for a different call ({prior['tool']}); "
                "use a fresh key for a new action",
                field="idempotency_key",
            )
        return result_type.model_validate_json(prior["result"])

    def record(
        self,
        *,
        tool: str,
        args: dict[str, Any],
        key: str | None,
        result: R,
        changes: list[ObjectChange],
        reversible: bool,
        principal: str | None = None,
    ) -> R:
        """Record a write the vendor accepted: call row, idempotency row and (when reversible) an undo token."""

        def apply(mutation: Mutation) -> R:
            for change in changes:
                self._journal(mutation, change)
            return result

        return self.store.write(
            capability=self.backend,
            tool=tool,
            args=args,
            idempotency_key=key,
            apply=apply,
            result_type=type(result),
            reversible=reversible,
            principal=principal,
        )

    def _journal(self, mutation: Mutation, change: ObjectChange) -> None:
        key = {"backend": self.backend, "kind": change.kind, "object_id": change.object_id}
        conn = mutation.conn
        current = fetch_row(conn, vendor_objects, key)
        if change.before is None:
            if current is not None:
                conn.execute(vendor_objects.delete().where(*(vendor_objects.c[k] == v for k, v in key.items())))
            if change.after is not None:
                mutation.insert(vendor_objects, {**key, "state": canonical_json(change.after)})
            return
        before = canonical_json(change.before)
        if current is None:
            conn.execute(insert(vendor_objects).values(**key, state=before))
        elif current["state"] != before:
            conn.execute(
                update(vendor_objects).where(*(vendor_objects.c[k] == v for k, v in key.items())).values(state=before)
            )
        if change.after is None:
            mutation.delete(vendor_objects, key)
        else:
            mutation.update(vendor_objects, key, {"state": canonical_json(change.after)})

    def undo_plan(self, token: str) -> tuple[str, list[ObjectChange]]:
        """The tool and object images behind an undo token, refused when used, foreign or stale in the ledger."""
        with self.store.reading() as conn:
            entry = conn.execute(select(undo_log).where(undo_log.c.token == token)).mappings().first()
            if entry is None:
                raise NotFound(
                    f"No undo token {token!r}; tokens come from the result of a reversible tool", field="token"
                )
            if entry["capability"] != self.backend:
                raise InvalidArgument(f"undo token {token!r} belongs to {entry['capability']}", field="token")
            if entry["used"]:
                raise Conflict(f"undo token {token!r} was already used", field="token")
            rows = [RowChange.model_validate(c) for c in json.loads(entry["changes"])]
            for row in rows:
                if fetch_row(conn, vendor_objects, row.key) != row.after:
                    raise Conflict(
                        f"cannot undo {entry['tool']}: {row.key['kind']} {row.key['object_id']} was changed by a later "
                        "call (stale undo token); read its current state and make a new change instead",
                        field="token",
                        rule="stale_undo",
                    )
        return entry["tool"], [_object_change(row) for row in rows]

    def finish_undo(self, token: str, key: str | None) -> UndoResult:
        """After the compensating vendor writes: restore the ledger images and spend the token (one transaction)."""
        return undo_call(self.store, capability=self.backend, token=token, idempotency_key=key)

    def owner(self, token: str) -> str | None:
        """The backend that issued an undo token (None when no such token exists)."""
        with self.store.reading() as conn:
            return conn.execute(select(undo_log.c.capability).where(undo_log.c.token == token)).scalar()

    def objects(self, kind: str) -> list[tuple[str, State]]:
        """Every (object_id, state) of one kind this ledger keeps, in id order."""
        t = vendor_objects
        with self.store.reading() as conn:
            rows = conn.execute(
                select(t.c.object_id, t.c.state)
                .where(t.c.backend == self.backend, t.c.kind == kind)
                .order_by(t.c.object_id)
            ).all()
        return [(object_id, json.loads(state)) for object_id, state in rows]

    def object(self, kind: str, object_id: str) -> State | None:
        with self.store.reading() as conn:
            row = fetch_row(conn, vendor_objects, {"backend": self.backend, "kind": kind, "object_id": object_id})
        return json.loads(row["state"]) if row is not None else None

    def observe(self, kind: str, object_id: str, state: State) -> None:
        """Store what was just read from the vendor; an undo token whose after-image no longer matches is stale."""
        key = {"backend": self.backend, "kind": kind, "object_id": object_id}
        with self.store.writing() as conn:
            current = fetch_row(conn, vendor_objects, key)
            if current is None:
                conn.execute(insert(vendor_objects).values(**key, state=canonical_json(state)))
            elif current["state"] != canonical_json(state):
                where = (vendor_objects.c[k] == v for k, v in key.items())
                conn.execute(update(vendor_objects).where(*where).values(state=canonical_json(state)))

    def propose(
        self, *, tool: str, args: dict[str, Any], verdict: str, detail: str, effect: str, validated_by: str
    ) -> None:
        """Shadow mode: record a write that was not sent, with the verdict of our checks and the vendor's dry run."""
        now = datetime.now(UTC)
        with self.store.writing() as conn:
            conn.execute(
                insert(vendor_proposals).values(
                    backend=self.backend,
                    tool=tool,
                    day=now.date().isoformat(),
                    recorded_at=now.isoformat(timespec="milliseconds"),
                    args=canonical_json(args),
                    verdict=verdict,
                    detail=detail,
                    effect=effect,
                    validated_by=validated_by,
                )
            )

    def proposals(self) -> list[Proposal]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(vendor_proposals)
                .where(vendor_proposals.c.backend == self.backend)
                .order_by(vendor_proposals.c.seq)
            ).mappings()
            return [Proposal.model_validate({**row, "args": json.loads(row["args"])}) for row in rows]


def _object_change(row: RowChange) -> ObjectChange:
    def state(image: dict[str, Any] | None) -> State | None:
        return json.loads(image["state"]) if image is not None else None

    return ObjectChange(
        kind=row.key["kind"], object_id=row.key["object_id"], before=state(row.before), after=state(row.after)
    )
