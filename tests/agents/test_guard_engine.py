"""The engine: fails closed, combines verdicts by severity, applies clamps in order, hashes what would run."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.guard import TOOLS, act, assess, facts, fired, goal

from cadencia.agents.actions import Decision, ProposedAction, Verdict
from cadencia.agents.guardrails import (
    UNKNOWN_TOOL_RULE,
    CheckContext,
    GuardrailEngine,
    NoParams,
    RunView,
    check,
    default_policy,
    default_registry,
    parse_policy,
)
from cadencia.tools.approvals import request_hash
from cadencia.tools.reversibility import Reversibility as Rv


@check("explodes", params=NoParams)
async def explodes(action: ProposedAction, ctx: CheckContext[NoParams]) -> Verdict | None:
    """Always raises."""
    raise RuntimeError("facts backend went away")


@check("cheap_price", params=NoParams, clamps=True)
async def cheap_price(action: ProposedAction, ctx: CheckContext[NoParams]) -> Verdict | None:
    """Clamps every price to 1 cent."""
    if action.args.get("price_minor") == 1:
        return None
    return ctx.violation("too dear", clamped_args={**action.args, "price_minor": 1})


@check("drops_args", params=NoParams, clamps=True)
async def drops_args(action: ProposedAction, ctx: CheckContext[NoParams]) -> Verdict | None:
    """A broken clamp that loses arguments."""
    return ctx.violation("broken", clamped_args={"sku": "SERUM"})


REGISTRY = default_registry().with_checks(explodes, cheap_price, drops_args)


def _engine(*rules: dict[str, Any]) -> GuardrailEngine:
    policy = parse_policy({"version": 1, "rules": list(rules)}, registry=REGISTRY)
    return GuardrailEngine(policy, registry=REGISTRY)


def _price(price: int) -> ProposedAction:
    return act("inventory_set_price", sku="SERUM", price_minor=price, currency="EUR")


async def test_a_crashing_check_denies_with_its_rule_id(caplog: pytest.LogCaptureFixture) -> None:
    engine = _engine({"id": "boom", "check": "explodes"}, {"id": "floor", "check": "price_floor"})
    result = await assess(engine, _price(3_000))
    assert result.decision is Decision.DENY
    [verdict] = result.verdicts
    assert verdict.rule == "boom" and verdict.reason.startswith("check crashed: RuntimeError")
    assert "crashed" in caplog.text


async def test_an_unknown_tool_is_treated_as_irreversible_and_needs_approval() -> None:
    engine = _engine()
    result = await assess(engine, act("ads_delete_all_campaigns"))
    assert result.reversibility is Rv.IRREVERSIBLE
    assert fired(result) == {UNKNOWN_TOOL_RULE: Decision.REQUIRE_APPROVAL}
    assert result.risk == "high"
    known = await assess(engine, act("ads_delete_all_campaigns"), tools={**TOOLS, "ads_delete_all_campaigns": Rv.READ})
    assert known.decision is Decision.ALLOW


async def test_deny_outranks_approval_and_both_verdicts_are_kept() -> None:
    engine = GuardrailEngine(default_policy())
    send = act("crm_send_now", message_id="MSG-SMS", segment_id="SEG-VIP")
    result = await assess(engine, send, the_goal=goal(allowed_channels=["email", "meta"]))
    assert result.decision is Decision.DENY
    assert fired(result)["channels-allowed"] is Decision.DENY
    assert fired(result)["reversibility-approval"] is Decision.REQUIRE_APPROVAL
    assert result.effective_args == send.args


async def test_clamps_apply_in_rule_order_and_the_hash_covers_the_clamped_args() -> None:
    engine = _engine(
        {"id": "floor", "check": "price_floor", "on_violation": "clamp"},
        {"id": "discount", "check": "max_discount", "on_violation": "clamp"},
    )
    result = await assess(engine, _price(900))
    assert fired(result) == {"floor": Decision.CLAMP, "discount": Decision.CLAMP}
    assert result.verdicts[0].clamped_args == {"sku": "SERUM", "price_minor": 1_150, "currency": "EUR"}
    assert result.effective_args["price_minor"] == 2_625
    assert result.decision is Decision.CLAMP and result.risk == "medium"
    assert result.request_hash == request_hash("inventory_set_price", result.effective_args)
    assert result.request_hash != request_hash("inventory_set_price", _price(900).args)


async def test_a_clamp_that_leaves_an_invalid_action_is_denied() -> None:
    engine = _engine(
        {"id": "floor", "check": "price_floor", "on_violation": "clamp"},
        {"id": "cheap", "check": "cheap_price", "on_violation": "clamp"},
    )
    result = await assess(engine, _price(900))
    assert result.decision is Decision.DENY
    assert any(v.rule == "floor" and "still violate" in v.reason for v in result.verdicts)
    broken = await assess(_engine({"id": "drop", "check": "drops_args", "on_violation": "clamp"}), _price(900))
    assert fired(broken) == {"drop": Decision.DENY}
    assert broken.effective_args == _price(900).args


async def test_a_clamp_verdict_from_a_rule_configured_to_deny_is_a_deny() -> None:
    result = await assess(_engine({"id": "floor", "check": "price_floor", "on_violation": "deny"}), _price(900))
    assert fired(result) == {"floor": Decision.DENY}
    assert result.verdicts[0].clamped_args is None


async def test_risk_follows_reversibility_and_verdicts() -> None:
    engine = _engine({"id": "floor", "check": "price_floor"})
    assert (await assess(engine, act("inventory_get_product", sku="SERUM"))).risk == "low"
    assert (await assess(engine, _price(3_000))).risk == "low"
    budget = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=11_000)
    assert (await assess(engine, budget)).risk == "medium"
    assert (await assess(engine, act("crm_send_now", message_id="MSG-1", segment_id="SEG-VIP"))).risk == "high"


async def test_disabled_and_non_matching_rules_do_not_run_but_explain_lists_them() -> None:
    engine = _engine(
        {"id": "off", "check": "explodes", "enabled": False},
        {"id": "ads-only", "check": "explodes", "applies_to": ["ads_*"]},
        {"id": "floor", "check": "price_floor"},
        {"id": "discount", "check": "max_discount"},
    )
    action = _price(2_000)
    assert fired(await assess(engine, action)) == {"discount": Decision.DENY}
    run = RunView(goal=goal(), facts=facts(), tools=TOOLS)
    explained = {v.rule: (v.decision, v.reason) for v in await engine.explain(action, run)}
    assert explained["off"] == (Decision.ALLOW, "skipped: disabled")
    assert explained["ads-only"] == (Decision.ALLOW, "skipped: applies_to ads_*")
    assert explained["floor"] == (Decision.ALLOW, "passed")
    assert explained["discount"][0] is Decision.DENY
