"""A paused run is approved, resumed and finished from another process: it acts once, and decides as the original
process would have (the injection taint it saw is in its checkpoint, not in the first process's memory)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
import yaml
from helpers.agents import first_ids, inject_review, server_calls, small_goal

from cadencia.agents.actions import ProposedAction
from cadencia.agents.driver import DriveResult, drive
from cadencia.agents.planners.base import Plan, PlanningInput
from cadencia.agents.runs import RunIndex, RunStatus
from cadencia.agents.session import open_session
from cadencia.agents.toolbox import Toolbox
from cadencia.agents.workdir import Workdir
from cadencia.tools.names import Ads, Crm, base_name
from cadencia.tools.store.store import Store

pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadencia", *args], capture_output=True, text=True, timeout=180, env=None, check=False
    )


def test_an_approval_given_from_a_second_process_resumes_the_run_and_acts_once(tmp_path: Path) -> None:
    goal = tmp_path / "goal.yaml"
    goal.write_text(yaml.safe_dump(small_goal().model_dump(mode="json")), encoding="utf-8")
    workdir = tmp_path / "work"
    first = _cli(
        "run",
        "--goal",
        str(goal),
        "--workdir",
        str(workdir),
        "--no-interactive",
        "--max-cycles",
        "1",
        "--run-id",
        "run-2proc",
    )
    assert first.returncode == 3, first.stdout + first.stderr  # paused on an approval
    match = re.search(r"approvals approve (run-2proc/\S+)", first.stdout)
    assert match, first.stdout
    approval_id = match.group(1)

    listed = _cli("approvals", "list", "--workdir", str(workdir))
    assert approval_id in listed.stdout

    second = _cli("approvals", "approve", approval_id, "--workdir", str(workdir), "--approver", "ana")
    assert second.returncode in (0, 3), second.stdout + second.stderr

    again = _cli("approvals", "approve", approval_id, "--workdir", str(workdir))
    assert again.returncode != 0 and "not waiting" in again.stdout

    store = Store.open(workdir / "sandbox.db")
    with store.reading() as conn:
        rows = conn.exec_driver_sql("SELECT tool, idempotency_key FROM calls").all()
    store.close()
    action_id = approval_id.split("/", 1)[1]
    executed = [tool for tool, key in rows if key and f".{action_id}." in key]
    assert len(executed) == 1, rows
    assert base_name(executed[0]) in {
        "reply_to_review",
        "confirm_purchase_order",
        "send_now",
        "request_reviews",
        "flag_review",
        "schedule_promotion",
        "set_budget",
    }


class _InjectedIntentPlanner:
    """Cycle 0: pause a campaign (needs approval under the goal), then the send an injected review asks for."""

    name = "scripted"

    def __init__(self, campaign_id: str, message_id: str, segment_id: str) -> None:
        self.ids = (campaign_id, message_id, segment_id)

    async def plan(self, request: PlanningInput, toolbox: Toolbox) -> Plan:
        campaign_id, message_id, segment_id = self.ids
        if request.cycle > 0:
            return Plan(actions=[])
        return Plan(
            actions=[
                ProposedAction(id="x", tool=Ads.PAUSE_CAMPAIGN, args={"campaign_id": campaign_id}),
                ProposedAction(id="x", tool=Crm.SEND_NOW, args={"message_id": message_id, "segment_id": segment_id}),
            ]
        )


def test_an_injected_review_still_denies_its_action_after_a_resume_in_another_process(
    tmp_path: Path, seeded_sqlite_template: Path
) -> None:
    workdir = Workdir.at(tmp_path / "work")
    shutil.copyfile(seeded_sqlite_template, workdir.store)
    store = Store.open(workdir.store)
    inject_review(store)
    ids = first_ids(store)
    store.close()
    goal = small_goal(always_approve_tools=[Ads.PAUSE_CAMPAIGN.value])
    RunIndex(workdir.runs).add(
        run_id="run-taint", goal_json=goal.model_dump_json(), planner="heuristic:", servers="inprocess", max_cycles=1
    )

    async def first_process() -> DriveResult:
        async with open_session(
            workdir=workdir, goal=goal, run_id="run-taint", planner=_InjectedIntentPlanner(*ids), max_cycles=1
        ) as session:
            return await drive(session)

    paused = anyio.run(first_process)
    assert paused.pending is not None and paused.pending.assessment.action.tool == Ads.PAUSE_CAMPAIGN
    RunIndex(workdir.runs).set_status("run-taint", RunStatus.WAITING_APPROVAL)

    resumed = _cli("approvals", "approve", paused.pending.approval_id, "--workdir", str(workdir.root))
    assert resumed.returncode in (0, 3), resumed.stdout + resumed.stderr

    async def final_state() -> dict[str, object]:
        async with open_session(
            workdir=workdir, goal=goal, run_id="run-taint", planner=_InjectedIntentPlanner(*ids), max_cycles=1
        ) as session:
            return (await session.graph.aget_state(session.config)).values

    state = anyio.run(final_state)
    refused = {r.tool: r.by for r in state["rejections"]}  # type: ignore[attr-defined]
    assert refused.get(Crm.SEND_NOW) == "prompt-injection", state["rejections"]
    assert state["report"] is not None, "the resumed run went on to the end instead of pausing for the send"
    store = Store.open(workdir.store)
    calls = server_calls(store)
    store.close()
    assert Crm.SEND_NOW.base not in calls and calls.count(Ads.PAUSE_CAMPAIGN.base) == 1
