"""spend_caps: per-change %, the daily cap across all platforms, the horizon cap, one currency, fail closed."""

from __future__ import annotations

from helpers.guard import CAMPAIGNS, act, assess, facts, fired, goal, one_rule

from cadencia.agents.actions import Decision
from cadencia.agents.guardrails import CampaignFacts, StaticFacts

CLAMPING = one_rule("spend_caps", "clamp")
DENYING = one_rule("spend_caps", "deny")


async def test_budget_change_within_the_allowed_percent_is_allowed() -> None:
    result = await assess(CLAMPING, act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=13_000))
    assert result.decision is Decision.ALLOW and result.effective_args["daily_budget_minor"] == 13_000


async def test_budget_change_beyond_the_allowed_percent_is_clamped_or_denied() -> None:
    jump = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=20_000)
    clamped = await assess(CLAMPING, jump)
    assert clamped.decision is Decision.CLAMP
    assert clamped.effective_args == {"campaign_id": "CMP-META", "daily_budget_minor": 13_000}
    cut = await assess(CLAMPING, act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=1_000))
    assert cut.effective_args["daily_budget_minor"] == 7_000
    assert fired(await assess(DENYING, jump)) == {"r1": Decision.DENY}


async def test_daily_cap_counts_active_budgets_on_every_platform() -> None:
    raise_meta = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=13_000)
    assert (await assess(CLAMPING, raise_meta, the_goal=goal(daily_spend_cap_minor=33_000))).decision is Decision.ALLOW
    result = await assess(CLAMPING, raise_meta, the_goal=goal(daily_spend_cap_minor=32_000))
    assert result.decision is Decision.CLAMP
    assert result.effective_args["daily_budget_minor"] == 12_000
    assert "daily cap" in result.verdicts[0].reason


async def test_resuming_a_campaign_over_the_daily_cap_is_denied_even_when_clamping() -> None:
    resume = act("ads_resume_campaign", campaign_id="CMP-TT")
    assert (await assess(CLAMPING, resume, the_goal=goal(daily_spend_cap_minor=35_000))).decision is Decision.ALLOW
    result = await assess(CLAMPING, resume, the_goal=goal(daily_spend_cap_minor=34_000))
    assert fired(result) == {"r1": Decision.DENY}


async def test_a_budget_cut_is_allowed_even_when_already_over_the_cap() -> None:
    cut = act("ads_set_budget", campaign_id="CMP-GOOG", daily_budget_minor=15_000)
    assert (await assess(DENYING, cut, the_goal=goal(daily_spend_cap_minor=10_000))).decision is Decision.ALLOW


async def test_horizon_cap_limits_the_daily_total_over_the_goal_horizon() -> None:
    raise_meta = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=12_000)
    roomy = goal(total_spend_cap_minor=1_000_000)
    assert (await assess(CLAMPING, raise_meta, the_goal=roomy)).decision is Decision.ALLOW
    result = await assess(CLAMPING, raise_meta, the_goal=goal(total_spend_cap_minor=930_000))
    assert result.effective_args["daily_budget_minor"] == 11_000
    assert "horizon cap" in result.verdicts[0].reason
    no_room = await assess(CLAMPING, raise_meta, the_goal=goal(total_spend_cap_minor=900_000))
    assert no_room.decision is Decision.DENY


async def test_a_campaign_or_active_budget_in_another_currency_is_denied() -> None:
    usd = CampaignFacts(id="CMP-US", platform="google", status="active", daily_budget_minor=1_000, currency="USD")
    world = facts(campaigns=[*CAMPAIGNS, usd])
    raise_meta = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=11_000)
    capped = goal(daily_spend_cap_minor=100_000)
    assert (await assess(CLAMPING, raise_meta, the_goal=capped)).decision is Decision.ALLOW
    mixed = await assess(CLAMPING, raise_meta, the_goal=capped, the_facts=world)
    assert fired(mixed) == {"r1": Decision.DENY} and "USD" in mixed.verdicts[0].reason
    own = await assess(CLAMPING, act("ads_set_budget", campaign_id="CMP-US", daily_budget_minor=1_100), the_facts=world)
    assert fired(own) == {"r1": Decision.DENY}


async def test_new_campaigns_are_clamped_to_the_daily_headroom_and_must_use_the_goal_currency() -> None:
    create = act("ads_create_campaign", platform="meta", daily_budget_minor=10_000, currency="EUR", sku="SERUM")
    capped = goal(daily_spend_cap_minor=35_000)
    result = await assess(CLAMPING, create, the_goal=capped)
    assert result.decision is Decision.CLAMP and result.effective_args["daily_budget_minor"] == 5_000
    assert (await assess(CLAMPING, create, the_goal=goal(daily_spend_cap_minor=40_000))).decision is Decision.ALLOW
    usd = act("ads_create_campaign", platform="meta", daily_budget_minor=1_000, currency="USD")
    assert fired(await assess(CLAMPING, usd, the_goal=capped)) == {"r1": Decision.DENY}


async def test_missing_campaign_facts_fail_closed() -> None:
    unknown = act("ads_set_budget", campaign_id="CMP-NOPE", daily_budget_minor=1_000)
    assert fired(await assess(CLAMPING, unknown)) == {"r1": Decision.REQUIRE_APPROVAL}
    strict = one_rule("spend_caps", "clamp", when_unknown="deny")
    assert fired(await assess(strict, unknown)) == {"r1": Decision.DENY}
    create = act("ads_create_campaign", platform="meta", daily_budget_minor=1_000, currency="EUR")
    no_list = await assess(CLAMPING, create, the_goal=goal(daily_spend_cap_minor=99_000), the_facts=StaticFacts())
    assert fired(no_list) == {"r1": Decision.REQUIRE_APPROVAL}


async def test_a_budget_in_a_currency_other_than_the_campaign_one_is_denied() -> None:
    eur = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=11_000, currency="EUR")
    assert (await assess(CLAMPING, eur)).decision is Decision.ALLOW
    usd = act("ads_set_budget", campaign_id="CMP-META", daily_budget_minor=11_000, currency="USD")
    assert fired(await assess(CLAMPING, usd)) == {"r1": Decision.DENY}
