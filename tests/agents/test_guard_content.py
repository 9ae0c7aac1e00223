"""approved_claims, ai_disclosure and pii_outbound: what customers read."""

from __future__ import annotations

import pytest
from helpers.guard import act, assess, facts, fired, goal, one_rule
from pydantic import JsonValue

from cadencia.agents.actions import Decision, ProposedAction
from cadencia.agents.guardrails import MessageFacts, StaticFacts

CLAIMS = one_rule("approved_claims")
DISCLOSURE = one_rule("ai_disclosure", "clamp")
PII = one_rule("pii_outbound")


def _creative(
    body: str, claim_ids: list[JsonValue] | None = None, *, source: str = "planner:heuristic", ai: bool | None = False
) -> ProposedAction:
    args: dict[str, JsonValue] = {"campaign_id": "CMP-META", "headline": "Hydra Serum", "body": body}
    args["claim_ids"] = claim_ids or []
    if ai is not None:
        args["ai_generated"] = ai
    return ProposedAction(id="a1", tool="ads_create_creative", args=args, source=source)


async def test_text_restating_approved_claims_is_allowed() -> None:
    ok = _creative("Clinically shown to improve hydration by 30% after 4 weeks.", ["C-HYD"])
    assert (await assess(CLAIMS, ok)).decision is Decision.ALLOW
    assert (await assess(CLAIMS, _creative("A 100% vegan formula for every skin."))).decision is Decision.ALLOW


async def test_citing_an_unapproved_or_unknown_claim_id_is_denied() -> None:
    assert fired(await assess(CLAIMS, _creative("Calm skin.", ["C-ACNE"]))) == {"r1": Decision.DENY}
    assert fired(await assess(CLAIMS, _creative("Calm skin.", ["C-MADE-UP"]))) == {"r1": Decision.DENY}


async def test_text_using_an_unapproved_claim_or_a_no_go_phrase_is_denied() -> None:
    assert fired(await assess(CLAIMS, _creative("It clears acne overnight!"))) == {"r1": Decision.DENY}
    botox = _creative("Like Botox in a jar.")
    assert (await assess(CLAIMS, botox)).decision is Decision.ALLOW
    assert fired(await assess(CLAIMS, botox, the_goal=goal(no_go_claims=["botox in a jar"]))) == {"r1": Decision.DENY}
    by_policy = one_rule("approved_claims", no_go_claims=["botox"])
    assert fired(await assess(by_policy, botox)) == {"r1": Decision.DENY}


@pytest.mark.parametrize(
    "body",
    [
        "Clinically proven to erase wrinkles.",
        "The #1 serum in Spain.",
        "Visible results for 97% of users.",
        "A 100% vegan formula, guaranteed to cure dryness.",
        "Simply the best in the world.",
    ],
)
async def test_claim_like_text_matching_no_approved_claim_needs_approval(body: str) -> None:
    assert fired(await assess(CLAIMS, _creative(body))) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_claims_are_checked_in_replies_and_in_stored_messages_being_sent() -> None:
    reply = act("reviews_reply_to_review", review_id="RV-1", body="Thanks! It clears acne overnight.", claim_ids=[])
    assert fired(await assess(CLAIMS, reply)) == {"r1": Decision.DENY}
    bad = MessageFacts(id="MSG-BAD", channel="email", subject="New", body="Clears acne overnight", claim_ids=[])
    send = act("crm_send_now", message_id="MSG-BAD", segment_id="SEG-VIP")
    assert fired(await assess(CLAIMS, send, the_facts=facts(messages=[bad]))) == {"r1": Decision.DENY}
    good = act("crm_send_now", message_id="MSG-1", segment_id="SEG-VIP")
    assert (await assess(CLAIMS, good)).decision is Decision.ALLOW


async def test_an_unknown_claims_library_fails_closed() -> None:
    result = await assess(CLAIMS, _creative("Hello."), the_facts=StaticFacts())
    assert fired(result) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_llm_written_copy_must_declare_ai_generated_and_is_clamped_to_true() -> None:
    declared = _creative("Hello.", source="planner:llm", ai=True)
    assert (await assess(DISCLOSURE, declared)).decision is Decision.ALLOW
    hidden = _creative("Hello.", source="planner:llm")
    result = await assess(DISCLOSURE, hidden)
    assert result.decision is Decision.CLAMP and result.effective_args["ai_generated"] is True
    assert fired(await assess(one_rule("ai_disclosure"), hidden)) == {"r1": Decision.DENY}


async def test_copy_without_an_explicit_ai_generated_flag_is_denied() -> None:
    human = act("crm_draft_message", channel="email", subject="Hi", body="Hello.", ai_generated=False)
    assert (await assess(DISCLOSURE, human)).decision is Decision.ALLOW
    silent = act("crm_draft_message", channel="email", subject="Hi", body="Hello.")
    assert fired(await assess(DISCLOSURE, silent)) == {"r1": Decision.DENY}
    llm_silent = silent.model_copy(update={"source": "planner:llm"})
    assert (await assess(DISCLOSURE, llm_silent)).effective_args["ai_generated"] is True


async def test_outbound_text_without_personal_data_is_allowed() -> None:
    clean = _creative(
        "Glow week from 2025-03-01: 29,90 € instead of 35,00 €. Order 2 and save 15%. "
        "Follow us Via Instagram. 2 place settings of 50 ml, perfect for a Road Trip."
    )
    assert (await assess(PII, clean)).decision is Decision.ALLOW


@pytest.mark.parametrize(
    "body",
    [
        "Write to maria.lopez@example.com for your gift.",
        "Call Maria on +34 612 345 678.",
        "Pay to ES91 2100 0418 4502 0005 1332.",
        "Card 4111 1111 1111 1111 on file.",
        "Pick it up at 221B Baker Street.",
        "Entrega en Calle 45 # 12-30, Bogotá.",
        "Envío a Calle Mayor 5, Madrid.",
        "Livraison au 12 rue de Rivoli.",
    ],
)
async def test_outbound_text_with_personal_data_is_denied(body: str) -> None:
    assert fired(await assess(PII, _creative(body))) == {"r1": Decision.DENY}


async def test_brand_contact_details_can_be_allowed_by_the_policy() -> None:
    body = _creative("Questions? hola@maisonlysa.com")
    assert fired(await assess(PII, body)) == {"r1": Decision.DENY}
    assert (await assess(one_rule("pii_outbound", allowed_emails=["hola@maisonlysa.com"]), body)).decision is (
        Decision.ALLOW
    )
