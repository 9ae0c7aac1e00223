"""A reversible action the run's goal lets through but the server policy's thresholds send to a person: the graph
asks that person once (its own interrupt), then the server accepts the answer, instead of failing the action."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from helpers.agents import small_goal

from cadencia.agents.actions import ProposedAction
from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.driver import DriveStatus, drive
from cadencia.agents.goal import Goal
from cadencia.agents.planners.base import Plan, PlanningInput
from cadencia.agents.session import open_session
from cadencia.agents.toolbox import Toolbox
from cadencia.agents.workdir import Workdir
from cadencia.tools.approvals import ApprovalStore
from cadencia.tools.inventory.tables import promotions
from cadencia.tools.names import Inventory
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.store.store import Store

DISCOUNT_PCT = 35
"""Deeper than the shipped server policy's price-cut threshold (30 %), within its maximum discount (40 %)."""


class _DeepPromotion:
    """Cycle 0: one promotion the server policy's thresholds send to a person."""

    name = "scripted"

    def __init__(self, sku: str) -> None:
        self.sku = sku

    async def plan(self, request: PlanningInput, toolbox: Toolbox) -> Plan:
        if request.cycle > 0:
            return Plan(actions=[])
        today = request.observation.day
        assert today is not None
        args = {
            "sku": self.sku,
            "discount_pct": DISCOUNT_PCT,
            "starts_on": (today + timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=3)).isoformat(),
            "label": "Weekend offer",
        }
        return Plan(actions=[ProposedAction(id="promo", tool=Inventory.SCHEDULE_PROMOTION, args=args)])


def _deep_discounts_allowed() -> Goal:
    """A goal that lets the promotion through on its own (discounts up to 40 %, reversible calls auto-approved)."""
    goal = small_goal()
    return goal.model_copy(update={"constraints": goal.constraints.model_copy(update={"max_discount_pct": 40})})


def _promotions(store: Store) -> int:
    with store.reading() as conn:
        return len(conn.execute(promotions.select()).all())


async def test_a_server_threshold_on_a_goal_approved_action_asks_the_person_once(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    workdir = Workdir.at(tmp_path / "work")
    shutil.copyfile(seeded_sqlite_template, workdir.store)
    store = Store.open(workdir.store)
    before = _promotions(store)
    asked: list[ApprovalRequest] = []

    def approver(request: ApprovalRequest) -> ApprovalResponse:
        asked.append(request)
        return ApprovalResponse(choice=ApprovalChoice.APPROVE, request_hash=request.request_hash, approver="ops")

    sku = "ML-000020"
    async with open_session(
        workdir=workdir,
        goal=_deep_discounts_allowed(),
        run_id="run-threshold",
        planner=_DeepPromotion(sku),
        store=store,
        max_cycles=1,
        server_policy=default_server_policy(),
    ) as session:
        result = await drive(session, approver=approver)
        values = (await session.graph.aget_state(session.config)).values
        executed = values["executed"]
    assert result.status is DriveStatus.DONE
    assert [e.tool for e in executed] == [Inventory.SCHEDULE_PROMOTION]
    assert executed[0].ok, executed[0].error
    assert len(asked) == 1, "the person is asked once, by the graph"
    assert any(v.rule == "server-policy" and "30 %" in v.reason for v in asked[0].assessment.verdicts)
    assert _promotions(store) == before + 1
    with ApprovalStore.open(workdir.approvals) as approvals:
        assert not [r for r in approvals.pending() if r.run_id is None], "no server ticket left waiting"
    store.close()
