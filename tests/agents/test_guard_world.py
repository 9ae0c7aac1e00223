"""The small guardrail test world (tests/helpers/guard.py) reports facts and run totals as the engine expects."""

from __future__ import annotations

from helpers.guard import executed, facts

from cadencia.agents.guardrails import LlmUsage, RunTotals, StaticFacts
from cadencia.tools.reversibility import Reversibility as Rv


async def test_static_facts_report_unknown_sections_as_none() -> None:
    empty = StaticFacts()
    assert await empty.campaign("CMP-META") is None
    assert await empty.active_campaigns() is None
    assert await empty.claims() is None
    world = facts()
    active = await world.active_campaigns()
    assert active is not None and {c.id for c in active} == {"CMP-META", "CMP-GOOG"}
    assert await world.segment_reach("SEG-VIP", "sms") == 300
    assert await world.segment_reach("SEG-VIP", "whatsapp") is None


def test_run_totals_come_from_executed_results_and_metered_usage() -> None:
    history = [
        executed("ads_set_budget", spend=4_000),
        executed("crm_send_now", contacts=120, rv=Rv.IRREVERSIBLE),
        executed("inventory_get_product", rv=Rv.READ),
    ]
    totals = RunTotals.from_executed(history, LlmUsage(calls=3, tokens=9_000))
    assert totals == RunTotals(
        tool_calls=3, actions=2, spend_moved_minor=4_000, contacts_messaged=120, llm_calls=3, llm_tokens=9_000
    )
