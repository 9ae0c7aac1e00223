"""The run index: which runs exist, how to reconnect to their servers, and whether they wait for approval."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert, inspect, select, update
from sqlalchemy.pool import NullPool

metadata = MetaData()
runs_table = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("goal", Text, nullable=False),
    Column("planner", String(64), nullable=False),
    Column("servers", Text, nullable=False),
    Column("policy", Text),
    Column("max_cycles", Integer),
    Column("status", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    DONE = "done"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class RunRecord(BaseModel):
    run_id: str
    goal: str
    planner: str
    servers: str
    policy: str | None = None
    max_cycles: int | None = None
    status: RunStatus
    created_at: str
    updated_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunIndex:
    """A tiny SQLite table in the workdir; the checkpointer holds the state, this holds how to reopen it exactly
    as it was started (goal, planner, servers, policy, cycle limit)."""

    def __init__(self, path: str | Path) -> None:
        self.engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
        metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Workdirs made before a column existed get it (empty), so their runs still reopen."""
        present = {c["name"] for c in inspect(self.engine).get_columns(runs_table.name)}
        with self.engine.begin() as conn:
            for column in runs_table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.exec_driver_sql(f"ALTER TABLE {runs_table.name} ADD COLUMN {column.name} {kind}")

    def add(
        self,
        *,
        run_id: str,
        goal_json: str,
        planner: str,
        servers: str,
        policy_json: str | None = None,
        max_cycles: int | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(runs_table).values(
                    run_id=run_id,
                    goal=goal_json,
                    planner=planner,
                    servers=servers,
                    policy=policy_json,
                    max_cycles=max_cycles,
                    status=RunStatus.RUNNING.value,
                    created_at=_now(),
                    updated_at=_now(),
                )
            )

    def set_status(self, run_id: str, status: RunStatus) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(runs_table).where(runs_table.c.run_id == run_id).values(status=status.value, updated_at=_now())
            )

    def get(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs_table).where(runs_table.c.run_id == run_id)).mappings().first()
        return RunRecord.model_validate(dict(row)) if row else None

    def list(self, *, status: RunStatus | None = None) -> list[RunRecord]:
        stmt = select(runs_table).order_by(runs_table.c.created_at)
        if status is not None:
            stmt = stmt.where(runs_table.c.status == status.value)
        with self.engine.connect() as conn:
            return [RunRecord.model_validate(dict(r)) for r in conn.execute(stmt).mappings()]
