"""Terminal rendering: the live progress view, approval prompts and the final report (rich)."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.driver import Approver
from cadencia.agents.goal import Goal
from cadencia.agents.rollback import RollbackReport
from cadencia.agents.state import RunReport
from cadencia.agents.workdir import Workdir
from cadencia.tools.money import format_minor


class LiveView:
    """A one-panel live view of a run: cycle, current step, last action and running counts."""

    def __init__(self, console: Console, run_id: str, goal: Goal, *, cycles: int | None = None) -> None:
        self.console = console
        self.run_id = run_id
        self.goal = goal
        self.cycles = cycles or goal.kpi.horizon_days
        self.cycle = 0
        self.node = "starting"
        self.last = ""
        self.counts: Counter[str] = Counter()
        self.kpi: float | None = None
        self._live = Live(self._render(), console=console, transient=False, refresh_per_second=8)

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:
            self._live.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self.console.is_terminal:
            self._live.__exit__(et, e, tb)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop redrawing while something else uses the terminal (an approval prompt), then carry on."""
        live = self.console.is_terminal and self._live.is_started
        if live:
            self._live.stop()
        try:
            yield
        finally:
            if live:
                self._live.start()

    def _render(self) -> Panel:
        counts = "  ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "—"
        metric, currency = self.goal.kpi.metric.value, self.goal.constraints.currency
        kpi = format_kpi(metric, self.kpi, currency)
        body = (
            f"cycle {self.cycle}/{self.cycles}   step [bold]{self.node}[/]\n"
            f"{metric}: {kpi} (target {format_kpi(metric, self.goal.kpi.target, currency)})\n"
            f"{counts}\n[dim]{escape(self.last)}[/]"
        )
        return Panel(body, title=f"cadencia · {self.run_id}", expand=False)

    def update(self, node: str, values: dict[str, Any]) -> None:
        self.node = "waiting for approval" if node == "__interrupt__" else node
        if "cycle" in values:
            self.cycle = values["cycle"]
        observation = values.get("observation")
        if observation is not None:
            self.kpi = observation.kpi_value
        lines: list[str] = []
        for executed in values.get("executed", []):
            self.counts["executed" if executed.ok else "failed"] += 1
            outcome = "ok" if executed.ok else f"failed: {executed.error or ''}"
            lines.append(f"{executed.action_id} {executed.tool} {outcome}")
        for rejection in values.get("rejections", []):
            self.counts["refused"] += 1
            lines.append(f"{rejection.action_id} refused {rejection.tool}: {rejection.reason}")
        for approval in values.get("approvals", []):
            self.counts[approval.status.value] += 1
            lines.append(f"{approval.approval_id.rpartition('/')[2]} approval {approval.status.value}")
        if lines:
            # The panel has one line for it: shortened at a word, never mid-word; the log below keeps it whole.
            self.last = textwrap.shorten(lines[-1], width=110, placeholder=" …")
        if self.console.is_terminal:
            self._live.update(self._render())
        else:
            for line in lines:
                self.console.print(f"  {line}", soft_wrap=True, markup=False)


def describe(request: ApprovalRequest) -> Table:
    a = request.assessment
    table = Table(title=f"Approval {request.approval_id}", show_header=False, expand=False)
    table.add_row("tool", a.action.tool)
    table.add_row("arguments", json.dumps(a.effective_args, ensure_ascii=False))
    table.add_row("reversibility", a.reversibility.value)
    table.add_row("risk", a.risk)
    table.add_row("why", a.action.rationale)
    table.add_row("expected", a.action.expected_effect)
    for v in a.verdicts:
        table.add_row(f"rule {v.rule}", f"{v.decision.value}: {v.reason}")
    table.add_row("request hash", a.request_hash)
    table.add_row("expires", request.expires_at.isoformat(timespec="minutes"))
    return table


def print_pending(console: Console, request: ApprovalRequest, where: Workdir) -> None:
    console.print(describe(request))
    flag = f" --workdir {where.root}"
    console.print(
        f"Paused for approval. Resume from any process:\n"
        f"  cadencia approvals approve {request.approval_id}{flag}\n"
        f"  cadencia approvals reject {request.approval_id}{flag}"
    )


def prompt_approver(console: Console, view: LiveView | None = None) -> Approver:
    """Ask on this terminal: approve, reject, or edit the arguments (edits are guarded again).

    The live view, if any, stops redrawing while the question is on screen.
    """

    def ask(request: ApprovalRequest) -> ApprovalResponse:
        with view.paused() if view is not None else nullcontext():
            return _ask(console, request)

    return ask


def _ask(console: Console, request: ApprovalRequest) -> ApprovalResponse:
    console.print(describe(request))
    choice = Prompt.ask("approve / reject / edit", choices=["a", "r", "e"], default="r", console=console)
    edited = None
    if choice == "e":
        edited = json.loads(Prompt.ask("new arguments as JSON", console=console))
    return ApprovalResponse(
        choice={"a": ApprovalChoice.APPROVE, "r": ApprovalChoice.REJECT, "e": ApprovalChoice.EDIT}[choice],
        request_hash=request.request_hash,
        approver="terminal",
        edited_args=edited,
    )


MONEY_METRICS = frozenset({"revenue", "gross_profit"})


def format_kpi(metric: str, value: float | None, currency: str) -> str:
    """A KPI value as a person reads it: money metrics through the money formatter, units as a count, cover in days."""
    if value is None:
        return "—"
    if metric in MONEY_METRICS:
        return format_minor(round(value), currency)
    if metric == "stock_cover":
        return f"{value:,.1f} days"
    return f"{value:,.0f}"


def print_report(console: Console, report: RunReport, where: Workdir, *, audit_ok: bool | None = None) -> None:
    table = Table(title=f"Run {report.run_id} — {report.goal_id}", show_header=False)
    kpi = lambda v: format_kpi(report.kpi_metric, v, report.currency)  # noqa: E731
    table.add_row(
        f"KPI {report.kpi_metric}",
        f"{kpi(report.kpi_start)} → {kpi(report.kpi_end)} (target "
        f"{kpi(report.kpi_target)}) {'met' if report.kpi_met else 'not met'}",
    )
    table.add_row("cycles / stop", f"{report.cycles} / {report.stop_reason}")
    table.add_row("actions by class", ", ".join(f"{k} {v}" for k, v in report.actions_by_class.items()) or "none")
    table.add_row("approvals", ", ".join(f"{k} {v}" for k, v in report.approvals.items()) or "none")
    table.add_row("refused by guardrails/people", str(report.rejections))
    table.add_row("spend moved", format_minor(report.spend_moved_minor, report.currency))
    table.add_row("contacts messaged", str(report.contacts_messaged))
    table.add_row("tool calls / LLM calls / tokens", f"{report.tool_calls} / {report.llm_calls} / {report.llm_tokens}")
    if audit_ok is not None:
        table.add_row("audit log", "[green]verified[/]" if audit_ok else "[red]FAILED verification[/]")
    console.print(table)
    console.print(f"State in {where.root}")


def print_rollback(console: Console, report: RollbackReport) -> None:
    """Every execution found and what became of it, then one line on what remains in effect."""
    table = Table("action", "tool", "status", "found in", "detail", title=f"Rollback of {report.run_id}")
    for item in report.items:
        style = "" if not item.status.remains else "yellow"
        table.add_row(
            item.action_id,
            item.tool,
            f"[{style}]{item.status.value}[/]" if style else item.status.value,
            item.source,
            item.detail,
        )
    console.print(table)
    if not report.servers_consulted:
        console.print(
            "[yellow]The servers' call record is not reachable from here (remote servers): listed from "
            "the audit log only.[/]"
        )
    remaining = [i for i in report.items if i.status.remains]
    if remaining:
        console.print(f"[yellow]{len(remaining)} of {len(report.items)} action(s) still in effect[/] (listed above).")
    else:
        console.print(f"All {len(report.items)} action(s) undone.")
