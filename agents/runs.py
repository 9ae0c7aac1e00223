"""The run index: which runs exist, how to reopen them, who is running them and whether they are still open.

Every run is here, whoever started it (`cadencia run`, `cadencia demo`, an embedded `open_session`): the session
registers it. A run whose process died without closing it is shown as `interrupted` (its owner is gone).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
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
    Column("owner", String(200)),
    Column("kind", String(32)),
)


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    INTERRUPTED = "interrupted"
    """Recorded as running, but the process running it is gone (killed, crashed): resume it or roll it back."""
    DONE = "done"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"

    @property
    def closed(self) -> bool:
        """Finished or rolled back: nothing in it may run or be approved any more."""
        return self in {RunStatus.DONE, RunStatus.FAILED, RunStatus.ROLLED_BACK}


def this_process() -> str:
    """`host:pid` of the calling process: who owns a run while it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str) -> bool:
    """Whether the owning process still runs (a process on another host is assumed alive: we cannot tell)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    owner: str | None = None
    kind: str | None = None

    @property
    def state(self) -> RunStatus:
        """The status to show: a run recorded as running whose owner is gone is `interrupted`."""
        if self.status is RunStatus.RUNNING and (self.owner is None or not _alive(self.owner)):
            return RunStatus.INTERRUPTED
        return self.status

    @property
    def busy(self) -> bool:
        """Running right now in another live process."""
        return self.state is RunStatus.RUNNING and self.owner != this_process()


class RunExists(ValueError):
    """A run id is already taken by a run that cannot be resumed (finished, rolled back, or running elsewhere)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunIndex:
    """A tiny SQLite table in the workdir; the checkpointer holds the state, this holds how to reopen it exactly
    as it was started (goal, planner, servers, policy, cycle limit) and which process runs it."""

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
        kind: str = "run",
    ) -> RunRecord:
        """Record a new run, or return the existing record of `run_id` (the caller decides whether it may resume)."""
        try:
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
                        owner=None,
                        kind=kind,
                    )
                )
        except IntegrityError:
            pass
        record = self.get(run_id)
        assert record is not None, "a run just added or already present"
        return record

    def set_status(self, run_id: str, status: RunStatus, *, owner: str | None = None) -> None:
        """Record a status; `running` names its owning process (default: this one), any other status clears it."""
        who = (owner or this_process()) if status is RunStatus.RUNNING else None
        with self.engine.begin() as conn:
            conn.execute(
                update(runs_table)
                .where(runs_table.c.run_id == run_id)
                .values(status=status.value, owner=who, updated_at=_now())
            )

    def get(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs_table).where(runs_table.c.run_id == run_id)).mappings().first()
        return RunRecord.model_validate(dict(row)) if row else None

    def list(self, *, status: RunStatus | None = None) -> list[RunRecord]:
        """Runs, oldest first; `status` filters on the shown state (so `interrupted` finds crashed runs)."""
        stmt = select(runs_table).order_by(runs_table.c.created_at)
        with self.engine.connect() as conn:
            records = [RunRecord.model_validate(dict(r)) for r in conn.execute(stmt).mappings()]
        return [r for r in records if status is None or r.state is status]
