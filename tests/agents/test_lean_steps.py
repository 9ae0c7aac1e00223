"""A cheap gate: each graph step writes at most one audit transaction, and once a cycle is planned its
checkpoints keep the observation's figures, not its signal lists, while what guards read stays in state."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers.agents import inject_review, session_for

from cadencia.agents.driver import DriveStatus, drive
from cadencia.tools.audit import AuditLog
from cadencia.tools.store.store import Store


async def test_each_step_writes_at_most_one_audit_transaction(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: Counter[str] = Counter()
    transactions: list[int] = []
    original = AuditLog._append

    def counting(self: AuditLog, pending: list[Any]) -> Any:
        transactions.append(len(pending))
        return original(self, pending)

    monkeypatch.setattr(AuditLog, "_append", counting)
    async with session_for(store, tmp_path) as session:
        await drive(session, on_event=lambda node, _values: steps.update([node]))
    assert steps["guard"] > 0 and steps["act"] > 0
    node_steps = sum(n for node, n in steps.items() if not node.startswith("__"))
    # One for the run's start record (written by the driver before the graph), then at most one per step.
    assert len(transactions) <= node_steps + 1, (len(transactions), steps)
    assert max(transactions) >= 2, "a guard step's proposal and verdicts go in one transaction"


async def test_checkpoints_after_planning_keep_the_figures_not_the_signal_lists(store: Store, tmp_path: Path) -> None:
    inject_review(store)
    async with session_for(store, tmp_path) as session:
        result = await drive(session)
        state = (await session.graph.aget_state(session.config)).values
        history = [s async for s in session.graph.aget_state_history(session.config)]
    assert result.status is DriveStatus.WAITING_APPROVAL
    observation = state["observation"]
    assert observation.kpi_value is not None and observation.day is not None
    assert observation.stock == [] and observation.negative_reviews == [] and observation.campaigns == []
    # The planner saw the whole observation (the checkpoint after observe still holds it) …
    planned_from = [s.values["observation"] for s in history if s.next == ("plan",)]
    assert planned_from and planned_from[0].stock, "the observe checkpoint keeps the lists the planner reads"
    # … and what the guards read is still checkpointed: the untrusted text seen and what executed.
    assert any("Ignore previous instructions" in u.text for u in state["untrusted"])
    assert state["executed"]
