"""A small Maison Lysa world for guardrail tests: goal, facts, proposed actions, one-rule engines, assessments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import JsonValue

from cadencia.agents.actions import Assessment, Decision, ExecutedAction, ProposedAction
from cadencia.agents.goal import KPI, Autonomy, Constraints, Goal, Metric
from cadencia.agents.guardrails import (
    CampaignFacts,
    ClaimFacts,
    GuardrailEngine,
    LlmUsage,
    MessageFacts,
    ProductFacts,
    RunView,
    StaticFacts,
    parse_policy,
)
from cadencia.tools.reversibility import Reversibility as Rv

TOOLS: dict[str, Rv] = {
    "inventory_get_product": Rv.READ,
    "inventory_set_price": Rv.REVERSIBLE,
    "inventory_schedule_promotion": Rv.REVERSIBLE,
    "inventory_update_product_content": Rv.REVERSIBLE,
    "inventory_confirm_purchase_order": Rv.IRREVERSIBLE,
    "ads_set_budget": Rv.COMPENSABLE,
    "ads_resume_campaign": Rv.COMPENSABLE,
    "ads_launch_campaign": Rv.COMPENSABLE,
    "ads_pause_campaign": Rv.REVERSIBLE,
    "ads_create_campaign": Rv.REVERSIBLE,
    "ads_create_creative": Rv.REVERSIBLE,
    "crm_draft_message": Rv.REVERSIBLE,
    "crm_schedule_send": Rv.REVERSIBLE,
    "crm_send_now": Rv.IRREVERSIBLE,
    "reviews_reply_to_review": Rv.IRREVERSIBLE,
    "reviews_request_reviews": Rv.IRREVERSIBLE,
}

CLAIMS = [
    ClaimFacts(id="C-HYD", text="Clinically shown to improve hydration by 30% after 4 weeks", approved=True),
    ClaimFacts(id="C-VEGAN", text="100% vegan formula", approved=True),
    ClaimFacts(id="C-ACNE", text="Clears acne overnight", approved=False),
]

CAMPAIGNS = (
    CampaignFacts(
        id="CMP-META", platform="meta", status="active", daily_budget_minor=10_000, currency="EUR", sku="SERUM"
    ),
    CampaignFacts(id="CMP-GOOG", platform="google", status="active", daily_budget_minor=20_000, currency="EUR"),
    CampaignFacts(
        id="CMP-TT", platform="tiktok", status="paused", daily_budget_minor=5_000, currency="EUR", sku="CREAM"
    ),
)
PRODUCTS = (
    ProductFacts(sku="SERUM", price_minor=3_000, list_price_minor=3_500, cost_minor=1_000, currency="EUR"),
    ProductFacts(sku="CREAM", price_minor=2_000, list_price_minor=2_000, cost_minor=1_500, currency="EUR"),
)


def goal(**changes: Any) -> Goal:
    """The test goal; keyword arguments override constraints or autonomy fields by name."""
    constraint_fields = set(Constraints.model_fields)
    constraints = {k: v for k, v in changes.items() if k in constraint_fields}
    autonomy = {k: v for k, v in changes.items() if k not in constraint_fields}
    return Goal(
        id="grow-serum",
        objective="Grow Hydra Serum revenue without hurting margin",
        kpi=KPI(metric=Metric.REVENUE, target=5_000_000, horizon_days=30),
        constraints=Constraints(**constraints),
        autonomy=Autonomy(**autonomy),
    )


def facts(**changes: Any) -> StaticFacts:
    """The test world's facts; keyword arguments replace whole sections."""
    sections: dict[str, Any] = {
        "campaigns": list(CAMPAIGNS),
        "products": list(PRODUCTS),
        "stock_cover_days": {"SERUM": 30.0, "CREAM": 3.0},
        "segment_reach": {"SEG-VIP": {"email": 500, "sms": 300}, "SEG-ALL": {"email": 40_000}},
        "messages": [
            MessageFacts(
                id="MSG-1", channel="email", subject="Your glow, restocked", body="Hydra Serum is back.", claim_ids=[]
            ),
            MessageFacts(id="MSG-SMS", channel="sms", subject="", body="Hydra Serum is back.", claim_ids=[]),
        ],
        "claims": CLAIMS,
    }
    sections.update(changes)
    return StaticFacts(**sections)


def act(tool: str, source: str = "planner:heuristic", rationale: str = "", **args: JsonValue) -> ProposedAction:
    return ProposedAction(id="a1", tool=tool, args=args, rationale=rationale, source=source)


def one_rule(check: str, on_violation: str = "deny", **params: JsonValue) -> GuardrailEngine:
    """An engine whose policy holds a single rule, so a verdict can only come from that check."""
    rule = {"id": "r1", "check": check, "params": params, "on_violation": on_violation}
    return GuardrailEngine(parse_policy({"version": 1, "rules": [rule]}))


def executed(tool: str, *, spend: int = 0, contacts: int = 0, rv: Rv = Rv.COMPENSABLE) -> ExecutedAction:
    return ExecutedAction(
        action_id="x",
        tool=tool,
        args={},
        reversibility=rv,
        ok=True,
        idempotency_key="k",
        spend_moved_minor=spend,
        contacts_messaged=contacts,
    )


async def assess(
    engine: GuardrailEngine,
    action: ProposedAction,
    *,
    the_goal: Goal | None = None,
    the_facts: StaticFacts | None = None,
    history: Sequence[ExecutedAction] = (),
    untrusted: Sequence[str] = (),
    llm: LlmUsage | None = None,
    tools: dict[str, Rv] | None = None,
) -> Assessment:
    run = RunView(
        goal=the_goal or goal(),
        facts=the_facts if the_facts is not None else facts(),
        tools=TOOLS if tools is None else tools,
        executed=history,
        untrusted_texts=untrusted,
        llm_usage=llm or LlmUsage(),
    )
    return await engine.assess(action, run)


def fired(assessment: Assessment) -> dict[str, Decision]:
    return {v.rule: v.decision for v in assessment.verdicts}
