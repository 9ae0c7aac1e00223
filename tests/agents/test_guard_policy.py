"""Policies: packaged ones load, malformed ones are refused with an error naming the rule, goals are never loosened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.guard import act, assess, fired, goal, one_rule

from cadencia.agents.actions import Decision, ProposedAction, Verdict
from cadencia.agents.guardrails import (
    CheckContext,
    GuardrailEngine,
    NoParams,
    PolicyError,
    check,
    default_policy,
    default_registry,
    demo_policy,
    load_policy,
    parse_policy,
)


def _policy(**rule: Any) -> dict[str, Any]:
    return {"version": 1, "rules": [{"id": "spend", "check": "spend_caps", **rule}]}


def test_packaged_policies_load_and_cover_every_builtin_check() -> None:
    registry = default_registry()
    for policy in (default_policy(), demo_policy()):
        assert {rule.check for rule in policy.rules} == set(registry.names())
        assert all(rule.enabled for rule in policy.rules)


def test_unknown_check_is_an_error_naming_rule_and_check() -> None:
    with pytest.raises(PolicyError, match=r"rule 'spend': unknown check 'spend_capz'"):
        parse_policy(_policy(check="spend_capz"))


def test_misspelled_param_is_an_error_naming_rule_and_field() -> None:
    with pytest.raises(PolicyError, match=r"rule 'spend'.*params\.max_chnage_pct: unknown parameter"):
        parse_policy(_policy(params={"max_chnage_pct": 10}))


def test_param_of_the_wrong_type_is_an_error_naming_rule_and_field() -> None:
    with pytest.raises(PolicyError, match=r"rule 'spend'.*params\.max_change_pct: Input should be a valid integer"):
        parse_policy(_policy(params={"max_change_pct": "ten"}))


def test_unknown_key_in_a_rule_is_an_error_naming_the_rule() -> None:
    with pytest.raises(PolicyError, match=r"rule 'spend' \(rules\[0\]\): on_violaton: unknown key"):
        parse_policy(_policy(on_violaton="deny"))


def test_clamp_on_a_check_that_cannot_clamp_is_refused() -> None:
    data = {"version": 1, "rules": [{"id": "inj", "check": "prompt_injection", "on_violation": "clamp"}]}
    with pytest.raises(PolicyError, match=r"rule 'inj': check 'prompt_injection' cannot clamp"):
        parse_policy(data)


def test_duplicate_rule_ids_and_missing_version_are_refused() -> None:
    twice = {"version": 1, "rules": [{"id": "a", "check": "spend_caps"}, {"id": "a", "check": "price_floor"}]}
    with pytest.raises(PolicyError, match="rule id 'a' is used twice"):
        parse_policy(twice)
    with pytest.raises(PolicyError, match="version"):
        parse_policy({"rules": []})


def test_load_policy_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nrules:\n  - id: spend\n    check: spend_caps\n    params: {max_change_pct: -5}\n")
    with pytest.raises(PolicyError, match=rf"{path}: rule 'spend'.*max_change_pct"):
        load_policy(path)
    path.write_text("version: 1\nrules: [\n")
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(path)


def test_custom_checks_plug_in_through_a_registry() -> None:
    @check("no_mondays", params=NoParams)
    async def no_mondays(action: ProposedAction, ctx: CheckContext[NoParams]) -> Verdict | None:
        """Refuses everything."""
        return ctx.deny("never on a Monday")

    data = {"version": 1, "rules": [{"id": "m", "check": "no_mondays"}]}
    with pytest.raises(PolicyError, match="unknown check 'no_mondays'"):
        parse_policy(data)
    registry = default_registry().with_checks(no_mondays)
    engine = GuardrailEngine(parse_policy(data, registry=registry), registry=registry)
    assert engine.policy.rules[0].check == "no_mondays"


async def test_policy_params_tighten_but_never_loosen_the_goal() -> None:
    promo = act("inventory_schedule_promotion", sku="CREAM", discount_pct=20, label="Spring")
    loosening = one_rule("max_discount", max_discount_pct=60)
    assert fired(await assess(loosening, promo, the_goal=goal(max_discount_pct=10))) == {"r1": Decision.DENY}
    tightening = one_rule("max_discount", max_discount_pct=15)
    assert fired(await assess(tightening, promo, the_goal=goal(max_discount_pct=25))) == {"r1": Decision.DENY}
    assert fired(await assess(loosening, promo, the_goal=goal(max_discount_pct=25))) == {}
