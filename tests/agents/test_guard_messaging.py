"""channels_allowed, consent_and_frequency, blast_radius, compute_budget and reversibility_approval."""

from __future__ import annotations

from helpers.guard import act, assess, executed, fired, goal, one_rule
from pydantic import JsonValue

from cadencia.agents.actions import Decision, ExecutedAction
from cadencia.agents.guardrails import LlmUsage
from cadencia.tools.reversibility import Reversibility as Rv

CHANNELS = one_rule("channels_allowed")
CONSENT = one_rule("consent_and_frequency", "require_approval")
BLAST = one_rule("blast_radius", "require_approval")
COMPUTE = one_rule("compute_budget")
APPROVAL = one_rule("reversibility_approval", "require_approval")
NO_TIKTOK = goal(allowed_channels=["meta", "google", "email"])
SEND_VIP = act("crm_send_now", message_id="MSG-1", segment_id="SEG-VIP")


async def test_actions_on_a_platform_outside_the_goal_are_denied() -> None:
    assert (await assess(CHANNELS, act("ads_pause_campaign", campaign_id="CMP-META"), the_goal=NO_TIKTOK)).decision is (
        Decision.ALLOW
    )
    tiktok = act("ads_set_budget", campaign_id="CMP-TT", daily_budget_minor=5_500)
    assert fired(await assess(CHANNELS, tiktok, the_goal=NO_TIKTOK)) == {"r1": Decision.DENY}
    sms = act("crm_draft_message", channel="sms", subject="", body="Hi", ai_generated=False)
    assert fired(await assess(CHANNELS, sms, the_goal=NO_TIKTOK)) == {"r1": Decision.DENY}


async def test_a_policy_can_narrow_the_goal_channels_and_unknown_channels_fail_closed() -> None:
    meta = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=10_500)
    assert (await assess(CHANNELS, meta)).decision is Decision.ALLOW
    assert fired(await assess(one_rule("channels_allowed", allowed_channels=["email"]), meta)) == {"r1": Decision.DENY}
    ghost = act("ads_set_budget", campaign_id="CMP-GHOST", daily_budget_minor=10_500)
    assert fired(await assess(CHANNELS, ghost)) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_sends_within_the_contact_cap_on_an_allowed_channel_are_allowed() -> None:
    assert (await assess(CONSENT, SEND_VIP)).decision is Decision.ALLOW


async def test_sends_beyond_the_run_contact_cap_need_approval() -> None:
    history = [executed("crm_send_now", contacts=1_600, rv=Rv.IRREVERSIBLE)]
    assert fired(await assess(CONSENT, SEND_VIP, history=history)) == {"r1": Decision.REQUIRE_APPROVAL}
    everyone = act("crm_schedule_send", message_id="MSG-1", segment_id="SEG-ALL", send_on="2025-03-02")
    assert fired(await assess(CONSENT, everyone)) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_sends_with_unknown_reach_or_message_need_approval() -> None:
    unknown_segment = act("crm_send_now", message_id="MSG-1", segment_id="SEG-NEW")
    assert fired(await assess(CONSENT, unknown_segment)) == {"r1": Decision.REQUIRE_APPROVAL}
    unknown_message = act("crm_send_now", message_id="MSG-404", segment_id="SEG-VIP")
    assert fired(await assess(CONSENT, unknown_message)) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_sends_and_review_requests_on_a_disallowed_channel_are_denied() -> None:
    sms = act("crm_send_now", message_id="MSG-SMS", segment_id="SEG-VIP")
    assert (await assess(CONSENT, sms)).decision is Decision.ALLOW
    assert fired(await assess(CONSENT, sms, the_goal=NO_TIKTOK)) == {"r1": Decision.DENY}
    ask = act("reviews_request_reviews", channel="sms", contact_ids=["CT-1", "CT-2"], sku="SERUM")
    assert (await assess(CONSENT, ask)).decision is Decision.ALLOW
    assert fired(await assess(CONSENT, ask, the_goal=NO_TIKTOK)) == {"r1": Decision.DENY}


async def test_a_dry_run_review_request_reaches_nobody() -> None:
    contacts: list[JsonValue] = [f"CT-{i}" for i in range(3_000)]
    ask = act("reviews_request_reviews", channel="email", contact_ids=contacts, sku="SERUM")
    assert fired(await assess(CONSENT, ask)) == {"r1": Decision.REQUIRE_APPROVAL}
    dry = act("reviews_request_reviews", channel="email", contact_ids=contacts, sku="SERUM", dry_run=True)
    assert (await assess(CONSENT, dry)).decision is Decision.ALLOW
    assert (await assess(BLAST, dry)).decision is Decision.ALLOW


async def test_blast_radius_counts_spend_from_executed_results_not_planner_claims() -> None:
    claimed_small = ExecutedAction(
        action_id="a0",
        tool="ads_set_budget",
        args={"campaign_id": "CMP-GOOG", "daily_budget_minor": 20_100},
        reversibility=Rv.COMPENSABLE,
        ok=True,
        idempotency_key="k0",
        spend_moved_minor=49_000,
    )
    action = act(
        "ads_set_budget",
        rationale="So far we only moved 1.00 EUR of budget",
        campaign_id="CMP-META",
        daily_budget_minor=12_000,
    )
    assert (await assess(BLAST, action)).decision is Decision.ALLOW
    result = await assess(BLAST, action, history=[claimed_small])
    assert fired(result) == {"r1": Decision.REQUIRE_APPROVAL}
    assert "49000 executed + 2000" in result.verdicts[0].reason


async def test_blast_radius_limits_actions_and_contacts_per_run() -> None:
    reads = [executed("inventory_get_product", rv=Rv.READ)] * 50
    writes = [executed("inventory_set_price", rv=Rv.REVERSIBLE)] * 40
    price = act("inventory_set_price", sku="SERUM", price_minor=3_100, currency="EUR")
    assert (await assess(BLAST, price, history=reads)).decision is Decision.ALLOW
    assert fired(await assess(BLAST, price, history=writes)) == {"r1": Decision.REQUIRE_APPROVAL}
    everyone = act("crm_send_now", message_id="MSG-1", segment_id="SEG-ALL")
    assert fired(await assess(BLAST, everyone)) == {"r1": Decision.REQUIRE_APPROVAL}
    assert fired(await assess(one_rule("blast_radius"), everyone)) == {"r1": Decision.DENY}


async def test_blast_radius_fails_closed_when_the_budget_move_is_unknown() -> None:
    ghost = act("ads_resume_campaign", campaign_id="CMP-GHOST")
    assert fired(await assess(BLAST, ghost)) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_compute_budget_denies_once_tool_calls_or_model_budget_are_spent() -> None:
    read = act("inventory_get_product", sku="SERUM")
    calls = [executed("inventory_get_product", rv=Rv.READ)] * 399
    assert (await assess(COMPUTE, read, history=calls, llm=LlmUsage(calls=60, tokens=400_000))).decision is (
        Decision.ALLOW
    )
    over = [*calls, executed("inventory_get_product", rv=Rv.READ)]
    assert fired(await assess(COMPUTE, read, history=over)) == {"r1": Decision.DENY}
    assert fired(await assess(COMPUTE, read, llm=LlmUsage(calls=61))) == {"r1": Decision.DENY}
    assert fired(await assess(COMPUTE, read, llm=LlmUsage(tokens=400_001))) == {"r1": Decision.DENY}


async def test_irreversible_actions_need_approval_unless_auto_approved() -> None:
    assert fired(await assess(APPROVAL, SEND_VIP)) == {"r1": Decision.REQUIRE_APPROVAL}
    trusted = goal(auto_approve_tools=["crm_send_now"])
    assert (await assess(APPROVAL, SEND_VIP, the_goal=trusted)).decision is Decision.ALLOW
    bold = goal(auto_approve=["read", "reversible", "compensable", "irreversible"])
    assert (await assess(APPROVAL, SEND_VIP, the_goal=bold)).decision is Decision.ALLOW


async def test_compensable_actions_need_approval_unless_their_class_is_auto_approved() -> None:
    budget = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=10_500)
    assert fired(await assess(APPROVAL, budget)) == {"r1": Decision.REQUIRE_APPROVAL}
    relaxed = goal(auto_approve=["read", "reversible", "compensable"])
    assert (await assess(APPROVAL, budget, the_goal=relaxed)).decision is Decision.ALLOW


async def test_always_approve_tools_need_approval_even_when_reversible() -> None:
    price = act("inventory_set_price", sku="SERUM", price_minor=3_100, currency="EUR")
    assert (await assess(APPROVAL, price)).decision is Decision.ALLOW
    careful = goal(always_approve_tools=["inventory_set_price"])
    assert fired(await assess(APPROVAL, price, the_goal=careful)) == {"r1": Decision.REQUIRE_APPROVAL}
    by_policy = one_rule("reversibility_approval", "require_approval", always_approve_tools=["inventory_set_price"])
    assert fired(await assess(by_policy, price)) == {"r1": Decision.REQUIRE_APPROVAL}
