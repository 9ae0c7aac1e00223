"""thresholds: large budget rises, price cuts, sends and purchase orders go to a person; small ones pass."""

from __future__ import annotations

from helpers.guard import TOOLS, act, assess, facts, one_rule

from cadencia.agents.actions import Decision
from cadencia.tools.policy.facts import PurchaseOrderFacts
from cadencia.tools.reversibility import Reversibility

ENGINE = one_rule(
    "thresholds",
    "require_approval",
    budget_increase_pct=50,
    price_cut_pct=30,
    max_contacts=400,
    po_above_minor=100_000,
)
PO = PurchaseOrderFacts(id="PO-1", sku="SERUM", status="draft", total_minor=250_000, currency="EUR")


async def _decision(tool: str, **args: object) -> Decision:
    tools = TOOLS | {"inventory_create_purchase_order": Reversibility.REVERSIBLE}
    assessment = await assess(ENGINE, act(tool, **args), the_facts=facts(purchase_orders=[PO]), tools=tools)  # type: ignore[arg-type]
    return assessment.decision


async def test_a_budget_raised_beyond_the_threshold_asks_and_a_small_rise_does_not() -> None:
    assert (
        await _decision("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=16_000)
        is Decision.REQUIRE_APPROVAL
    )
    assert await _decision("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=14_000) is Decision.ALLOW
    assert await _decision("ads_set_budget", campaign_id="CMP-NONE", daily_budget_minor=1) is Decision.REQUIRE_APPROVAL


async def test_a_deep_price_cut_or_promotion_asks() -> None:
    assert await _decision("inventory_set_price", sku="SERUM", price_minor=2_000) is Decision.REQUIRE_APPROVAL
    assert await _decision("inventory_set_price", sku="SERUM", price_minor=2_500) is Decision.ALLOW
    assert await _decision("inventory_schedule_promotion", sku="SERUM", discount_pct=35) is Decision.REQUIRE_APPROVAL
    assert await _decision("inventory_schedule_promotion", sku="SERUM", discount_pct=20) is Decision.ALLOW


async def test_a_send_to_more_contacts_than_the_threshold_asks() -> None:
    assert await _decision("crm_send_now", message_id="MSG-1", segment_id="SEG-VIP") is Decision.REQUIRE_APPROVAL
    small = await _decision("reviews_request_reviews", sku="SERUM", contact_ids=["C1", "C2"], channel="email")
    assert small is Decision.ALLOW


async def test_a_purchase_order_above_the_amount_asks() -> None:
    assert await _decision("inventory_confirm_purchase_order", purchase_order_id="PO-1") is Decision.REQUIRE_APPROVAL
    assert await _decision("inventory_create_purchase_order", sku="SERUM", quantity=50) is Decision.ALLOW
    assert await _decision("inventory_create_purchase_order", sku="SERUM", quantity=500) is Decision.REQUIRE_APPROVAL
