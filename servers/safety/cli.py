"""`cadencia freeze on|off|status`, and the server side of `cadencia approvals list|approve|reject`."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cadencia.servers.paths import default_workdir
from cadencia.servers.safety.setup import approvals_url
from cadencia.tools.approvals import ApprovalNotFound, ApprovalRecord, ApprovalState, ApprovalStore
from cadencia.tools.policy.usage import UsageStore

console = Console()
LOCAL_APPROVER = "cli"


class FreezeState(StrEnum):
    ON = "on"
    OFF = "off"
    STATUS = "status"


WorkdirOption = Annotated[
    Path | None,
    typer.Option("--workdir", help="Where approvals.db lives (default: $CADENCIA_WORKDIR or the user data dir)."),
]


def freeze(
    state: Annotated[FreezeState, typer.Argument(help="on: refuse every mutating call; off: allow them; status.")],
    reason: Annotated[str, typer.Option(help="Why (shown to every refused caller).")] = "",
    by: Annotated[str, typer.Option(help="Who (recorded).")] = LOCAL_APPROVER,
    workdir: WorkdirOption = None,
) -> None:
    """Kill switch for every server on this workdir's database: while on, writes are refused, reads go on.

    Example: cadencia freeze on --reason "incident 42"
    """
    usage = UsageStore.open(approvals_url(workdir or default_workdir()))
    try:
        if state is FreezeState.STATUS:
            switch = usage.switch()
        else:
            switch = usage.set_switch(on=state is FreezeState.ON, reason=reason, by=by)
    finally:
        usage.close()
    if switch is None or not switch.on:
        console.print("writes allowed (kill switch off)")
        return
    why = f": {switch.reason}" if switch.reason else ""
    console.print(escape(f"writes frozen since {switch.changed_at} by {switch.changed_by}{why}"))


def print_server_approvals(root: Path) -> int:
    """Print the servers' pending approvals; returns how many."""
    store = ApprovalStore.open(approvals_url(root))
    try:
        pending = [r for r in store.pending(at=datetime.now(UTC)) if r.run_id is None]
    finally:
        store.close()
    if not pending:
        return 0
    table = Table(title="Server approvals (any MCP client)")
    for column in ("approval id", "caller", "tool"):
        table.add_column(column, no_wrap=True)
    for column in ("request", "expires (UTC)"):
        table.add_column(column, overflow="fold")
    for record in pending:
        request = record.request if isinstance(record.request, dict) else {}
        words = str(request.get("in_words") or record.tool)
        why = "; ".join(str(v.get("reason")) for v in request.get("verdicts") or [] if isinstance(v, dict))  # type: ignore[union-attr]
        table.add_row(
            record.approval_id,
            record.subject or "-",
            f"{record.tool} ({request.get('reversibility', '?')})",
            escape(f"{words}. {why}"),
            record.expires_at.isoformat(timespec="minutes"),
        )
    console.print(table)
    return len(pending)


def answer_server_approval(approval_id: str, *, approve: bool, approver: str, note: str, root: Path) -> ApprovalRecord:
    """Answer a server approval from the local CLI (the operator's machine: no token needed)."""
    store = ApprovalStore.open(approvals_url(root))
    try:
        records = store.with_id(approval_id)
        if not records:
            raise ApprovalNotFound(f"no server approval {approval_id!r} in {approvals_url(root)}")
        record = records[-1]
        state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
        answer = store.answer(
            approval_id, record.request_hash, state=state, approver=approver, note=note, at=datetime.now(UTC)
        )
    finally:
        store.close()
    stored = answer.record
    if not answer.recorded:
        console.print(escape(f"{approval_id} was already {stored.state.value}; nothing changed"))
    elif stored.state is ApprovalState.EXPIRED:
        console.print(escape(f"{approval_id} had expired at {stored.expires_at.isoformat()}: recorded as expired"))
    elif stored.state is ApprovalState.APPROVED:
        console.print(
            escape(
                f"approved {approval_id}: the caller may now call {stored.tool} again with "
                f"approval_id={approval_id} (once)"
            )
        )
    else:
        console.print(escape(f"rejected {approval_id}"))
    return stored
