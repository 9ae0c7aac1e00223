"""Durable server-side safety state: what each token used today (budgets) and the kill switch.

Lives next to the approvals (workdir SQLite or PostgreSQL), so every server process on one database shares it. A
budget is reserved before a call runs, in one transaction holding the named lock of (token, day): two processes
can never both take the last unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Engine, MetaData, String, Table, Text, select, update

from cadencia.tools.approvals.schema import reading, writing
from cadencia.tools.store.engine import dialect_insert, open_engine
from cadencia.tools.store.locks import serialize

KILL_SWITCH = "freeze"
READS = "reads"
"""Read calls are counted per token and day, not logged one by one."""


class BudgetExceeded(ValueError):
    """The call would take a token's daily use of `measure` past its limit."""

    def __init__(self, measure: str, used: int, amount: int, limit: int) -> None:
        super().__init__(f"{measure}: {used} used today + {amount} for this call > daily limit {limit}")
        self.measure, self.used, self.amount, self.limit = measure, used, amount, limit


@dataclass(frozen=True)
class Switch:
    """The kill switch as last set: on refuses every mutating call."""

    on: bool
    reason: str
    changed_at: str
    changed_by: str


@dataclass(frozen=True)
class ChargeKey:
    """What one charge is for: a call with an idempotency key is charged once, however often it is retried."""

    subject: str
    tool: str
    idempotency_key: str
    request_hash: str


def _tables(prefix: str) -> tuple[Table, Table, Table]:
    metadata = MetaData()
    usage = Table(
        f"{prefix}_usage",
        metadata,
        Column("subject", String(200), primary_key=True),
        Column("day", String(10), primary_key=True),
        Column("measure", String(32), primary_key=True),
        Column("amount", BigInteger, nullable=False),
    )
    switches = Table(
        f"{prefix}_switches",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("state", String(8), nullable=False),
        Column("reason", Text, nullable=False),
        Column("changed_at", String(40), nullable=False),
        Column("changed_by", String(200), nullable=False),
    )
    charges = Table(
        f"{prefix}_usage_charges",
        metadata,
        Column("subject", String(200), primary_key=True),
        Column("tool", String(64), primary_key=True),
        Column("idempotency_key", String(200), primary_key=True),
        Column("request_hash", String(64), primary_key=True),
        Column("day", String(10), nullable=False),
    )
    return usage, switches, charges


class UsageStore:
    """Per-token daily usage and the kill switch, in SQLite (a workdir file) or PostgreSQL (by URL)."""

    def __init__(self, engine: Engine, *, table_prefix: str = "cadencia") -> None:
        self.engine = engine
        self.usage, self.switches, self.charges = _tables(table_prefix)
        with writing(engine) as conn:
            serialize(conn, f"schema:{self.usage.name}")
            self.usage.metadata.create_all(conn)

    @classmethod
    def open(cls, url_or_path: str | Path, *, table_prefix: str = "cadencia") -> UsageStore:
        return cls(open_engine(url_or_path), table_prefix=table_prefix)

    def close(self) -> None:
        self.engine.dispose()

    def reserve(
        self,
        subject: str,
        day: str,
        amounts: Mapping[str, int],
        limits: Mapping[str, int | None],
        *,
        charge: ChargeKey | None = None,
    ) -> bool:
        """Add `amounts` to today's use, or raise `BudgetExceeded` (and add nothing) if any limit would be crossed.

        With `charge`, a call already charged under that key (a retry, or a copy racing it) adds nothing and returns
        False: checking and recording the charge share one transaction under the key's lock."""
        with writing(self.engine) as conn:
            if charge is not None:
                serialize(conn, f"usage-charge:{charge.subject}:{charge.tool}:{charge.idempotency_key}")
                if self._charged(conn, charge):
                    return False
            serialize(conn, f"usage:{subject}:{day}")
            used = self._used(conn, subject, day)
            for measure, amount in amounts.items():
                limit = limits.get(measure)
                if amount and limit is not None and used.get(measure, 0) + amount > limit:
                    raise BudgetExceeded(measure, used.get(measure, 0), amount, limit)
            self._add(conn, subject, day, amounts)
            if charge is not None:
                conn.execute(
                    dialect_insert(conn, self.charges).values(**vars(charge), day=day).on_conflict_do_nothing()
                )
        return True

    def give_back(self, subject: str, day: str, amounts: Mapping[str, int], *, charge: ChargeKey | None = None) -> None:
        """Undo a `reserve` whose call did not run: the amounts and the key's charge (a retry is charged anew)."""
        with writing(self.engine) as conn:
            if charge is not None:
                serialize(conn, f"usage-charge:{charge.subject}:{charge.tool}:{charge.idempotency_key}")
                conn.execute(self.charges.delete().where(*self._charge_is(charge)))
            serialize(conn, f"usage:{subject}:{day}")
            self._add(conn, subject, day, {m: -a for m, a in amounts.items()})

    def is_charged(self, charge: ChargeKey) -> bool:
        with reading(self.engine) as conn:
            return self._charged(conn, charge)

    def add(self, subject: str, day: str, amounts: Mapping[str, int]) -> None:
        """Add (or, with negative amounts, give back) use without checking limits."""
        with writing(self.engine) as conn:
            serialize(conn, f"usage:{subject}:{day}")
            self._add(conn, subject, day, amounts)

    def used(self, subject: str, day: str) -> dict[str, int]:
        with reading(self.engine) as conn:
            return self._used(conn, subject, day)

    def set_switch(self, *, on: bool, reason: str, by: str, at: datetime | None = None) -> Switch:
        """Turn the kill switch on or off (recorded with who and why)."""
        moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        values = {"state": "on" if on else "off", "reason": reason, "changed_at": moment, "changed_by": by}
        with writing(self.engine) as conn:
            serialize(conn, f"switch:{KILL_SWITCH}")
            conn.execute(
                dialect_insert(conn, self.switches)
                .values(name=KILL_SWITCH, **values)
                .on_conflict_do_update(index_elements=["name"], set_=values)
            )
        return Switch(on=on, reason=reason, changed_at=moment, changed_by=by)

    def switch(self) -> Switch | None:
        """The kill switch as last set, or None if it never was."""
        with reading(self.engine) as conn:
            row = conn.execute(select(self.switches).where(self.switches.c.name == KILL_SWITCH)).mappings().first()
        if row is None:
            return None
        return Switch(
            on=row["state"] == "on", reason=row["reason"], changed_at=row["changed_at"], changed_by=row["changed_by"]
        )

    def _charge_is(self, charge: ChargeKey) -> list[Any]:
        c = self.charges.c
        return [
            c.subject == charge.subject,
            c.tool == charge.tool,
            c.idempotency_key == charge.idempotency_key,
            c.request_hash == charge.request_hash,
        ]

    def _charged(self, conn: Connection, charge: ChargeKey) -> bool:
        return conn.execute(select(self.charges.c.day).where(*self._charge_is(charge))).first() is not None

    def _used(self, conn: Connection, subject: str, day: str) -> dict[str, int]:
        rows = conn.execute(
            select(self.usage.c.measure, self.usage.c.amount).where(
                self.usage.c.subject == subject, self.usage.c.day == day
            )
        )
        return {measure: int(amount) for measure, amount in rows}

    def _add(self, conn: Connection, subject: str, day: str, amounts: Mapping[str, int]) -> None:
        for measure, amount in amounts.items():
            if not amount:
                continue
            key = {"subject": subject, "day": day, "measure": measure}
            conn.execute(dialect_insert(conn, self.usage).values(**key, amount=0).on_conflict_do_nothing())
            conn.execute(
                update(self.usage)
                .where(self.usage.c.subject == subject, self.usage.c.day == day, self.usage.c.measure == measure)
                .values(amount=self.usage.c.amount + amount)
            )
