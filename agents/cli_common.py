"""What the run, approvals and rollback commands share: the workdir option, exit codes, reopening a recorded run."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from enum import IntEnum
from pathlib import Path
from typing import Annotated

import typer

from cadencia.agents.goal import Goal
from cadencia.agents.guardrails import Policy
from cadencia.agents.planners.factory import make_planner
from cadencia.agents.runs import RunRecord
from cadencia.agents.session import AgentSession, open_session
from cadencia.agents.workdir import Workdir
from cadencia.console import make_console

console = make_console()


class ExitCode(IntEnum):
    """`cadencia run`, `approvals approve|reject` and `rollback` exit codes (documented in the README)."""

    OK = 0
    INCOMPLETE = 1
    """Rollback left something in effect (listed), or the audit log failed verification."""
    REFUSED = 2
    """Bad input, or the run cannot be resumed or answered (the message says why)."""
    WAITING_APPROVAL = 3
    """The run is paused on an approval; the command to answer it is printed."""


WorkdirOption = Annotated[
    Path | None,
    typer.Option(
        "--workdir",
        help="Run state directory (store, checkpoints, audit, key, run index). Default: $CADENCIA_WORKDIR "
        "or the per-user data directory.",
    ),
]


def fail(message: str) -> typer.Exit:
    """Print why and return the exit to raise (code 2)."""
    console.print(f"[red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(ExitCode.REFUSED)


def recorded_session(
    record: RunRecord, where: Workdir, *, token: str | None = None
) -> AbstractAsyncContextManager[AgentSession]:
    """Reopen a recorded run: its goal, planner, servers, policy and cycle limit, as it was started."""
    kind, _, model = record.planner.partition(":")
    return open_session(
        workdir=where,
        goal=Goal.model_validate_json(record.goal),
        run_id=record.run_id,
        planner=make_planner(kind, model=model or None),
        servers=record.servers,
        policy=Policy.model_validate_json(record.policy) if record.policy else None,
        token=token,
        max_cycles=record.max_cycles,
        planner_spec=record.planner,
        kind=record.kind or "run",
    )
