"""Reading and writing the per-SKU state the simulator carries between days (`sim_skus`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection, bindparam, insert, select, update

from cadencia.evals.world import params as p
from cadencia.evals.world.bulk import execute_many, execute_rows
from cadencia.evals.world.tables import sim_skus
from cadencia.tools.inventory.tables import sales_daily

if TYPE_CHECKING:
    from cadencia.evals.world.demand import SkuDays

LOAD = select(sim_skus).where(sim_skus.c.sku.in_(bindparam("skus", expanding=True)))
SAVED = ("backlog", "debt", "debt_rate", "recent_units", "last_stockout")
SAVE = (
    update(sim_skus)
    .where(sim_skus.c.sku == bindparam("b_sku"))
    .values({name: bindparam(f"b_{name}") for name in SAVED})
)


@dataclass(frozen=True, slots=True)
class SkuState:
    backlog: int
    debt: float
    debt_rate: float
    recent_units: tuple[int, ...]
    """Units sold on each of the last REVIEW_LAG days, oldest first."""
    last_stockout: str | None
    review_ref: float
    stored: bool

    def stocked_out_since(self, day: date) -> bool:
        return self.last_stockout is not None and self.last_stockout >= day.isoformat()

    def advance(self, sold: int, backlog: int, debt: float, debt_rate: float, short_on: str | None) -> SkuState:
        """The state for tomorrow after a day that sold `sold` units."""
        recent = (*self.recent_units[1:], sold)
        return SkuState(backlog, debt, debt_rate, recent, short_on or self.last_stockout, self.review_ref, self.stored)


def load_states(
    conn: Connection, day: date, skus: Sequence[str], review_refs: Mapping[str, float]
) -> dict[str, SkuState]:
    """States of `skus`; a SKU seen for the first time starts from its sales history (last 14 days)."""
    states = {
        row.sku: SkuState(
            row.backlog,
            row.debt,
            row.debt_rate,
            tuple(int(units) for units in row.recent_units.split(",")),
            row.last_stockout,
            row.review_ref,
            True,
        )
        for row in conn.execute(LOAD, {"skus": list(skus)}).all()
    }
    missing = [sku for sku in skus if sku not in states]
    if not missing:
        return states
    since = day - timedelta(days=max(p.REVIEW_LAG, p.STOCKOUT_WINDOW))
    units: dict[tuple[str, str], int] = {}
    short: dict[str, str] = {}
    history = conn.execute(
        select(sales_daily.c.sku, sales_daily.c.day, sales_daily.c.units, sales_daily.c.lost_units).where(
            sales_daily.c.sku.in_(missing), sales_daily.c.day >= since.isoformat(), sales_daily.c.day < day.isoformat()
        )
    ).all()
    for sku, sold_on, sold, lost in history:
        units[sku, sold_on] = sold
        if lost > 0 and sold_on > short.get(sku, ""):
            short[sku] = sold_on
    lag_days = [(day - timedelta(days=back)).isoformat() for back in range(p.REVIEW_LAG, 0, -1)]
    for sku in missing:
        recent = tuple(units.get((sku, d), 0) for d in lag_days)
        states[sku] = SkuState(0, 0.0, 0.0, recent, short.get(sku), review_refs[sku], False)
    return states


def save_states(conn: Connection, states: Mapping[str, SkuState]) -> None:
    """Update stored states and insert new ones, each with one executemany."""
    rows = {
        sku: {
            "sku": sku,
            "backlog": s.backlog,
            "debt": s.debt,
            "debt_rate": s.debt_rate,
            "recent_units": ",".join(str(units) for units in s.recent_units),
            "last_stockout": s.last_stockout,
            "review_ref": s.review_ref,
        }
        for sku, s in states.items()
    }
    stored = [{f"b_{name}": rows[sku][name] for name in ("sku", *SAVED)} for sku, s in states.items() if s.stored]
    execute_many(conn, SAVE, stored)
    execute_many(conn, insert(sim_skus), [rows[sku] for sku, s in states.items() if not s.stored])


SPAN = select(sim_skus).where(sim_skus.c.sku.between(bindparam("lo"), bindparam("hi")))
INSERT_COLUMNS = ("sku", *SAVED, "review_ref")


@dataclass(frozen=True, slots=True)
class StateArrays:
    """The carried state of a batch of SKUs as columns (element i is `skus[i]`)."""

    skus: Sequence[str]
    backlog: np.ndarray
    debt: np.ndarray
    debt_rate: np.ndarray
    recent_units: np.ndarray
    """Shape (SKUs, REVIEW_LAG): units sold on each of the last days, oldest first."""
    last_stockout: list[str | None]
    review_ref: np.ndarray
    stored: np.ndarray

    def advanced(self, iso: str, sold: np.ndarray, day: SkuDays) -> StateArrays:
        """The states for tomorrow after a day that sold `sold` units (`day`: the model's outcome)."""
        recent = np.concatenate([self.recent_units[:, 1:], sold[:, None]], axis=1)
        short = day.short.tolist()
        last = [iso if s else before for s, before in zip(short, self.last_stockout, strict=True)]
        return StateArrays(self.skus, day.backlog, day.debt, day.debt_rate, recent, last, self.review_ref, self.stored)


def load_state_arrays(
    conn: Connection, day: date, skus: Sequence[str], review_refs: Mapping[str, float]
) -> StateArrays:
    """`load_states` as columns, for `skus` sorted and contiguous in SKU order (a catalog page)."""
    rows = {row[0]: row for row in conn.execute(SPAN, {"lo": skus[0], "hi": skus[-1]}).all()}
    missing = [sku for sku in skus if sku not in rows]
    first = load_states(conn, day, missing, review_refs) if missing else {}
    for sku, state in first.items():
        recent = ",".join(str(units) for units in state.recent_units)
        rows[sku] = (sku, state.backlog, state.debt, state.debt_rate, recent, state.last_stockout, state.review_ref)
    ordered = [rows[sku] for sku in skus]
    _, backlog, debt, debt_rate, recent, last, ref = zip(*ordered, strict=True)
    units = np.array(",".join(recent).split(","), dtype=np.int64).reshape(len(skus), p.REVIEW_LAG)
    return StateArrays(
        skus=skus,
        backlog=np.array(backlog, dtype=np.int64),
        debt=np.array(debt, dtype=np.float64),
        debt_rate=np.array(debt_rate, dtype=np.float64),
        recent_units=units,
        last_stockout=list(last),
        review_ref=np.array(ref, dtype=np.float64),
        stored=np.fromiter((sku not in first for sku in skus), dtype=bool, count=len(skus)),
    )


def save_state_arrays(conn: Connection, states: StateArrays) -> None:
    """Update stored states and insert new ones, each with one executemany."""
    recent = [",".join(map(str, units)) for units in states.recent_units.tolist()]
    columns = zip(
        states.skus,
        states.backlog.tolist(),
        states.debt.tolist(),
        states.debt_rate.tolist(),
        recent,
        states.last_stockout,
        states.review_ref.tolist(),
        states.stored.tolist(),
        strict=True,
    )
    updates: list[tuple[object, ...]] = []
    inserts: list[tuple[object, ...]] = []
    for *row, stored in columns:
        (updates if stored else inserts).append(tuple(row))
    execute_rows(conn, SAVE, tuple(f"b_{name}" for name in ("sku", *SAVED)), [r[:-1] for r in updates])
    execute_rows(conn, insert(sim_skus), INSERT_COLUMNS, inserts)
