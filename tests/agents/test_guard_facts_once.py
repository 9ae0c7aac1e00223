"""Facts are looked up once per assessment: every check (and a clamp's recheck) judges the same figures."""

from __future__ import annotations

from collections import Counter

from helpers.guard import CAMPAIGNS, CLAIMS, PRODUCTS, TOOLS, act, goal

from cadencia.agents.actions import Decision
from cadencia.agents.guardrails import GuardrailEngine, RunView, default_policy
from cadencia.tools.policy.facts import ClaimFacts, ProductFacts, StaticFacts
from cadencia.tools.policy.memo import MemoFacts


class CountingFacts(StaticFacts):
    """StaticFacts that count each lookup by name (and can fail the first `failures` product lookups)."""

    def __init__(self, *, failures: int = 0, **sections: object) -> None:
        super().__init__(**sections)  # type: ignore[arg-type]
        self.asked: Counter[str] = Counter()
        self.failures = failures

    async def product(self, sku: str) -> ProductFacts | None:
        self.asked["product"] += 1
        if self.failures:
            self.failures -= 1
            raise RuntimeError("facts backend hiccup")
        return await super().product(sku)

    async def claims(self) -> list[ClaimFacts] | None:
        self.asked["claims"] += 1
        return await super().claims()


def _world(**changes: object) -> CountingFacts:
    return CountingFacts(products=PRODUCTS, claims=CLAIMS, campaigns=CAMPAIGNS, **changes)


async def test_a_price_change_reads_its_product_once_for_every_rule_that_needs_it() -> None:
    world = _world()
    engine = GuardrailEngine(default_policy())
    # Below the margin floor: the default policy clamps it, and the clamped price is checked again in full.
    action = act("inventory_set_price", sku="SERUM", price_minor=1_050, currency="EUR")
    assessment = await engine.assess(action, RunView(goal=goal(), facts=world, tools=TOOLS))
    assert assessment.decision is not Decision.ALLOW, assessment.verdicts
    assert world.asked["product"] == 1


async def test_each_assessment_reads_afresh() -> None:
    world = _world()
    engine = GuardrailEngine(default_policy())
    run = RunView(goal=goal(), facts=world, tools=TOOLS)
    action = act("inventory_set_price", sku="SERUM", price_minor=2_900, currency="EUR")
    await engine.assess(action, run)
    await engine.assess(action, run)
    assert world.asked["product"] == 2


async def test_a_lookup_that_failed_is_asked_again_by_the_next_check() -> None:
    memo = MemoFacts(_world(failures=1))
    first = None
    try:
        await memo.product("SERUM")
    except RuntimeError as exc:
        first = exc
    assert first is not None
    assert (await memo.product("SERUM")) == PRODUCTS[0]
    assert (await memo.product("SERUM")) == PRODUCTS[0]
    assert memo.facts.asked["product"] == 2  # type: ignore[attr-defined]


async def test_lists_are_copies_so_one_check_cannot_edit_anothers_view() -> None:
    memo = MemoFacts(_world())
    seen = await memo.claims()
    assert seen is not None
    seen.clear()
    assert await memo.claims() == CLAIMS
    assert memo.facts.asked["claims"] == 1  # type: ignore[attr-defined]
