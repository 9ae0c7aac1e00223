"""`cadencia demo`: the Maison Lysa spring launch, end to end on the embedded default.

Sandbox store + market simulator + heuristic planner + demo guardrail policy, approvals asked on the terminal
(or answered by the demo approval policy when nobody is there), a day-by-day KPI line, and a verified audit log.
"""

from __future__ import annotations

import uuid
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.driver import Approver, DriveResult, drive
from cadencia.agents.goal import Goal
from cadencia.agents.guardrails import demo_policy
from cadencia.agents.planners.heuristic import HeuristicPlanner
from cadencia.agents.session import INPROCESS, open_session
from cadencia.agents.terminal import LiveView, prompt_approver
from cadencia.agents.workdir import Workdir
from cadencia.evals.world import DayReport, World
from cadencia.servers.sandbox import open_store
from cadencia.tools.audit import VerifyReport
from cadencia.tools.money import format_amount, format_minor
from cadencia.tools.names import Inventory, Reviews

DEMO_SEED = 7
DEMO_FILES = ("sandbox.db", "checkpoints.db", "audit.db", "approvals.db", "runs.db")
APPROVED_BY_DEMO_POLICY = frozenset({Inventory.CONFIRM_PURCHASE_ORDER, Reviews.REPLY_TO_REVIEW})


def spring_launch_goal() -> Goal:
    text = files("cadencia.agents.goals").joinpath("spring_launch.yaml").read_text(encoding="utf-8")
    return Goal.from_yaml_text(text, source="spring_launch.yaml")


def demo_approver(request: ApprovalRequest) -> ApprovalResponse:
    """Unattended demo: restocking orders and review replies with approved claims go ahead; nothing else does."""
    ok = request.assessment.action.tool in APPROVED_BY_DEMO_POLICY
    return ApprovalResponse(
        choice=ApprovalChoice.APPROVE if ok else ApprovalChoice.REJECT,
        request_hash=request.request_hash,
        approver="demo-policy",
        note="demo policy: " + ("restock / reply allowed" if ok else "not allowed unattended"),
    )


def day_line(report: DayReport) -> str:
    """One line per simulated day (EUR): gross profit is the KPI's definition (revenue − cost of goods), net profit
    also takes off ad spend, fees, holding and messaging; the KPI is the sum of the days' gross profit."""
    spend = sum(report.spend_minor.values())
    gross = "—" if report.gross_profit_minor is None else format_amount(report.gross_profit_minor)
    stockouts = f"  stockouts {len(report.stockouts)}" if report.stockouts else ""
    return (
        f"{report.day}  revenue {format_amount(report.revenue_minor):>10}  gross profit {gross:>10}  "
        f"ads {format_amount(spend):>8}  net profit {format_amount(report.profit_minor):>10}  "
        f"units {report.units_sold:>4}  lost {report.lost_units:>3}  "
        f"cover {report.mean_stock_cover_days:5.1f}d{stockouts}"
    )


def totals_line(reports: list[DayReport]) -> str:
    """The days added up, in the same definitions as the day lines (gross profit here is the run's KPI)."""
    gross = sum(r.gross_profit_minor or 0 for r in reports)
    spend = sum(sum(r.spend_minor.values()) for r in reports)
    return (
        f"{len(reports)} day(s): revenue {format_minor(sum(r.revenue_minor for r in reports), 'EUR')}, "
        f"gross profit {format_minor(gross, 'EUR')}, ads {format_minor(spend, 'EUR')}, "
        f"net profit {format_minor(sum(r.profit_minor for r in reports), 'EUR')}"
    )


class DemoResult(BaseModel):
    drive: DriveResult
    audit: VerifyReport
    days: list[DayReport]


def new_run_id() -> str:
    return f"demo-{uuid.uuid4().hex[:8]}"


def held_state(root: Path) -> list[str]:
    """Run state already in a directory (a demo never reuses or deletes it: it starts from a fresh seeded market)."""
    return sorted(name for name in DEMO_FILES if (root / name).exists())


async def run_demo(
    workdir: Workdir, *, console: Console, interactive: bool, days: int = 14, run_id: str | None = None
) -> DemoResult:
    """Run the demo in `workdir`, which must hold no run state yet (see `held_state`)."""
    held = held_state(workdir.root)
    if held:
        raise FileExistsError(f"{workdir.root} already holds run state ({', '.join(held)})")
    store = open_store(workdir.store, seed=DEMO_SEED)
    world = World(store, seed=DEMO_SEED)
    goal = spring_launch_goal()
    reports: list[DayReport] = []

    async def advance() -> None:
        report = world.step()
        reports.append(report)
        console.print(day_line(report), soft_wrap=True)

    run_id = run_id or new_run_id()
    try:
        async with open_session(
            workdir=workdir,
            goal=goal,
            run_id=run_id,
            planner=HeuristicPlanner(),
            servers=INPROCESS,
            policy=demo_policy(),
            store=store,
            advance=advance,
            max_cycles=days,
            planner_spec="heuristic:",
            kind="demo",
        ) as session:
            with LiveView(console, run_id, goal, cycles=days) as view:
                approver: Approver = prompt_approver(console, view) if interactive else demo_approver
                result = await drive(session, approver=approver, on_event=view.update)
            verified = session.audit.verify()
    finally:
        store.close()
    return DemoResult(drive=result, audit=verified, days=reports)
