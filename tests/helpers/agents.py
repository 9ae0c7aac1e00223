"""Running the agent graph in tests: a small goal, a session over the seeded store, scripted approvers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.goal import Goal
from cadencia.agents.planners.base import Planner
from cadencia.agents.planners.heuristic import HeuristicPlanner
from cadencia.agents.session import AgentSession, open_session
from cadencia.agents.workdir import Workdir
from cadencia.tools.names import base_name
from cadencia.tools.store.store import Store

IRREVERSIBLE_TOOLS = {"confirm_purchase_order", "reply_to_review", "send_now", "request_reviews"}


def small_goal(**autonomy: object) -> Goal:
    return Goal.model_validate(
        {
            "id": "test-goal",
            "objective": "Grow gross profit safely",
            "kpi": {"metric": "gross_profit", "target": 10_000_000, "horizon_days": 3},
            "constraints": {"allowed_channels": ["meta", "google", "tiktok", "email"]},
            "autonomy": {"max_actions": 200, "max_tool_calls": 5000, **autonomy},
        }
    )


@asynccontextmanager
async def session_for(
    store: Store,
    tmp_path: Path,
    *,
    goal: Goal | None = None,
    planner: Planner | None = None,
    max_cycles: int = 1,
    run_id: str = "run-test",
) -> AsyncIterator[AgentSession]:
    async with open_session(
        workdir=Workdir.at(tmp_path / "work"),
        goal=goal or small_goal(),
        run_id=run_id,
        planner=planner or HeuristicPlanner(),
        store=store,
        max_cycles=max_cycles,
    ) as session:
        yield session


def answer(choice: ApprovalChoice, **fields: object) -> Callable[[ApprovalRequest], ApprovalResponse]:
    def approver(request: ApprovalRequest) -> ApprovalResponse:
        return ApprovalResponse(choice=choice, request_hash=request.request_hash, approver="test", **fields)  # type: ignore[arg-type]

    return approver


def irreversible_calls(store: Store) -> list[str]:
    """World-changing calls the servers recorded whose tool is irreversible (from the servers' own record)."""
    with store.reading() as conn:
        rows = conn.exec_driver_sql("SELECT tool FROM calls").all()
    return [tool for (tool,) in rows if base_name(tool) in IRREVERSIBLE_TOOLS]
