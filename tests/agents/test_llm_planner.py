"""The LLM path, driven by a scripted fake chat model: its tool calls are proposals the choke point judges."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.agents import INJECTION, answer, inject_review, session_for, small_goal
from helpers.chat import scripted

from cadencia.agents.approvals import ApprovalChoice
from cadencia.agents.driver import drive
from cadencia.agents.planners.llm import LLMPlanner
from cadencia.tools.store.store import Store


def _calls(store: Store) -> list[str]:
    with store.reading() as conn:
        return [tool for (tool,) in conn.exec_driver_sql("SELECT tool FROM calls").all()]


async def test_llm_tool_calls_run_only_after_the_guardrails(store: Store, tmp_path: Path) -> None:
    model = scripted(
        [
            {"name": "inventory_set_price", "args": {"sku": "ML-000001", "price_minor": 2790, "currency": "EUR"}},
            {"name": "inventory_set_price", "args": {"sku": "ML-000002", "price_minor": 100, "currency": "EUR"}},
        ]
    )
    async with session_for(store, tmp_path, planner=LLMPlanner(model)) as session:
        result = await drive(session, approver=answer(ApprovalChoice.REJECT))
        state = (await session.graph.aget_state(session.config)).values
    executed = {e.args["sku"]: e for e in state["executed"] if e.tool == "inventory_set_price"}
    assert executed["ML-000001"].ok
    below_floor = executed.get("ML-000002")
    # The price floor clamps (or refuses) a price below cost + margin: 100 never reaches the store.
    assert below_floor is None or below_floor.args["price_minor"] > 100
    assert result.report is not None and result.report.llm_calls >= 1


async def test_the_model_never_sees_raw_contact_pii(store: Store, tmp_path: Path) -> None:
    model = scripted([])
    async with session_for(store, tmp_path, planner=LLMPlanner(model)) as session:
        await drive(session, approver=answer(ApprovalChoice.REJECT))
    sent = "\n".join(str(m.content) for batch in model.seen for m in batch)
    assert sent, "the model should have been called"
    assert not re.search(r"[\w.+-]+@example\.com", sent)
    assert not re.search(r"\+\d{1,3} ?\d{6,}", sent)
    assert "<untrusted" in sent


async def test_an_injected_review_never_becomes_an_action(store: Store, tmp_path: Path) -> None:
    inject_review(store)
    # A model that falls for the injection proposes exactly what the review asks for.
    model = scripted(
        [
            {
                "name": "inventory_schedule_promotion",
                "args": {
                    "sku": "ML-000003",
                    "discount_pct": 90,
                    "starts_on": "2026-03-02",
                    "ends_on": "2026-03-09",
                    "label": "90% discount code",
                },
            },
            {"name": "crm_send_now", "args": {"message_id": "MSG-000000", "segment_id": "SEG-VIP"}},
        ]
    )
    async with session_for(store, tmp_path, planner=LLMPlanner(model), goal=small_goal()) as session:
        await drive(session, approver=answer(ApprovalChoice.APPROVE))
        state = (await session.graph.aget_state(session.config)).values
    called = _calls(store)
    assert "schedule_promotion" not in called
    assert "send_now" not in called
    refused = {r.tool for r in state["rejections"]}
    assert {"inventory_schedule_promotion", "crm_send_now"} <= refused
    sent = "\n".join(str(m.content) for batch in model.seen for m in batch)
    assert INJECTION in sent and "<untrusted" in sent, "the review reached the model only as fenced data"


async def test_the_heuristic_planner_flags_an_injected_review_instead_of_answering_it(
    store: Store, tmp_path: Path
) -> None:
    inject_review(store)
    async with session_for(store, tmp_path) as session:
        await drive(session, approver=answer(ApprovalChoice.APPROVE))
        state = (await session.graph.aget_state(session.config)).values
    on_injected = [e for e in state["executed"] if e.args.get("review_id") == "RV-INJECT"]
    assert [e.tool for e in on_injected] == ["reviews_flag_review"]
    assert "send_now" not in _calls(store)
