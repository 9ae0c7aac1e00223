"""hands_off: objects the goal leaves to someone else, by id or named in its objective, are never changed."""

from __future__ import annotations

import pytest
from helpers.guard import act, assess, fired, goal, one_rule

from cadencia.agents.actions import Decision
from cadencia.agents.guardrails import StaticFacts
from cadencia.tools.policy.facts import PurchaseOrderFacts
from cadencia.tools.policy.goal_text import hands_off_ids

DENYING = one_rule("hands_off")


async def test_changes_to_an_object_listed_as_hands_off_are_denied_and_reads_and_others_pass() -> None:
    theirs = goal(hands_off=["CMP-META"])
    for tool in ("ads_set_budget", "ads_pause_campaign"):
        result = await assess(DENYING, act(tool, campaign_id="CMP-META", daily_budget_minor=9_000), the_goal=theirs)
        assert fired(result) == {"r1": Decision.DENY} and "CMP-META" in result.verdicts[0].reason
    other = act("ads_set_budget", campaign_id="CMP-GOOG", daily_budget_minor=21_000)
    assert (await assess(DENYING, other, the_goal=theirs)).decision is Decision.ALLOW
    read = act("inventory_get_product", sku="CMP-META")
    assert (await assess(DENYING, read, the_goal=theirs)).decision is Decision.ALLOW
    assert (await assess(DENYING, act("ads_pause_campaign", campaign_id="CMP-META"))).decision is Decision.ALLOW


async def test_an_object_the_objective_leaves_to_a_colleague_is_denied_as_is_its_purchase_order() -> None:
    objective = "Grow revenue. ML-000003 is managed by a colleague this week: leave it exactly as they set it."
    worded = goal().model_copy(update={"objective": objective})
    price = act("inventory_set_price", sku="ML-000003", price_minor=2_900)
    assert fired(await assess(DENYING, price, the_goal=worded)) == {"r1": Decision.DENY}
    order = PurchaseOrderFacts(id="PO-1", sku="ML-000003", status="draft", total_minor=100, currency="EUR")
    orders = StaticFacts(purchase_orders=[order])
    confirm = act("inventory_confirm_purchase_order", purchase_order_id="PO-1")
    assert fired(await assess(DENYING, confirm, the_goal=worded, the_facts=orders)) == {"r1": Decision.DENY}
    assert (await assess(DENYING, confirm, the_facts=orders)).decision is Decision.ALLOW


@pytest.mark.parametrize(
    ("objective", "ids"),
    [
        ("Manage budgets. CMP-GO000 is managed by a colleague this week: leave it as they set it.", ["CMP-GO000"]),
        ("Do not touch ML-000003 or ML-000004 until Friday.", ["ML-000003", "ML-000004"]),
        ("No toques CMP-ME001: la gestiona una compañera.", ["CMP-ME001"]),
        ("Ne touchez pas à SEG-VIP cette semaine.", ["SEG-VIP"]),
        ("Push Huile Aube (ML-000012) this week; reorder ML-000013 early.", []),
        ("Leave no customer unanswered. Keep ML-000001 in stock.", []),
    ],
)
def test_the_objective_is_read_for_objects_to_leave_alone(objective: str, ids: list[str]) -> None:
    assert hands_off_ids(objective) == ids
