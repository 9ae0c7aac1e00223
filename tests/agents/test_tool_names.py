"""Tool names are written once (cadencia.tools.names) and exist on the combined server; a renamed tool a check
guards makes that check deny instead of silently not applying."""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from helpers.guard import act, assess, facts, fired, goal

from cadencia.agents.actions import Decision
from cadencia.agents.guardrails import GuardrailEngine, default_policy, demo_policy
from cadencia.agents.mcp_client import memory_client
from cadencia.agents.mcp_tools import load_tools
from cadencia.agents.toolbox import Toolbox
from cadencia.evals.scenarios import load_suite
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends
from cadencia.tools.names import TOOL_NAMES, Inventory, Reviews, base_name, missing_names
from cadencia.tools.reversibility import Reversibility as Rv

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "evals" / "suites"


def _registry(backends: Backends) -> dict[str, Rv]:
    return build_server(Capability.ALL, backends=backends).registry


def _renamed(registry: dict[str, Rv], old: str, new: str) -> dict[str, Rv]:
    return {new if name == old else name: rv for name, rv in registry.items()}


def test_every_tool_name_cadencia_refers_to_is_on_the_combined_server(backends: Backends) -> None:
    registry = _registry(backends)
    assert missing_names(registry) == []
    assert all(registry[name] is not None for name in TOOL_NAMES)


def test_the_name_check_reports_a_renamed_tool(backends: Backends) -> None:
    renamed = _renamed(_registry(backends), Inventory.SET_PRICE, "inventory_update_price")
    assert missing_names(renamed) == [Inventory.SET_PRICE.value]


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """String constants in a module, docstrings excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_agents_and_evals_spell_no_tool_name_outside_the_names_module(backends: Backends) -> None:
    registry = _registry(backends)
    names = set(registry) | {base_name(n) for n in registry if "_" in base_name(n)}
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for folder in ("agents", "evals")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, text in _string_literals(path)
        if text in names
    ]
    assert found == []


def test_packaged_policies_name_only_tools_the_server_has(backends: Backends) -> None:
    registry = _registry(backends)
    for policy in (default_policy(), demo_policy()):
        for rule in policy.rules:
            for pattern in rule.applies_to:
                assert any(fnmatchcase(name, pattern) for name in registry), (policy.name, rule.id, pattern)
            for name in rule.params.get("always_approve_tools", []) or []:
                assert name in registry, (policy.name, rule.id, name)


def test_packaged_goals_name_only_tools_the_server_has(backends: Backends) -> None:
    registry = _registry(backends)
    for goal_file in files("cadencia.agents.goals").iterdir():
        if not goal_file.name.endswith(".yaml"):
            continue
        autonomy = (yaml.safe_load(goal_file.read_text(encoding="utf-8")) or {}).get("autonomy", {})
        for name in [*autonomy.get("always_approve_tools", []), *autonomy.get("auto_approve_tools", [])]:
            assert name in registry, (goal_file.name, name)


@pytest.mark.parametrize("suite", sorted(p.name for p in SUITES.iterdir() if (p / "suite.yaml").exists()))
def test_eval_suites_name_only_tools_the_server_has(suite: str, backends: Backends) -> None:
    bases = {base_name(name) for name in _registry(backends)}
    for scenario in load_suite(SUITES / suite).scenarios:
        for rule in scenario.expectations.forbidden:
            assert any(fnmatchcase(b, rule.tool) for b in bases), (scenario.id, rule.tool)
        for name in scenario.approver.tools:
            assert name in bases, (scenario.id, name)


async def test_a_renamed_guarded_tool_is_denied_by_the_checks_that_guard_it(backends: Backends) -> None:
    renamed = _renamed(_registry(backends), Inventory.SET_PRICE, "inventory_update_price")
    below_cost = act("inventory_update_price", sku="SERUM", price_minor=100, currency="EUR")
    result = await assess(GuardrailEngine(default_policy()), below_cost, tools=renamed)
    assert result.decision is Decision.DENY
    assert fired(result)["price-floor"] is Decision.DENY and fired(result)["max-discount"] is Decision.DENY
    assert "inventory_set_price" in next(v.reason for v in result.verdicts if v.rule == "price-floor")


async def test_with_every_guarded_tool_present_other_tools_of_the_capability_are_judged_normally(
    backends: Backends,
) -> None:
    registry = _registry(backends)
    draft = act(Inventory.CREATE_PURCHASE_ORDER, sku="SERUM", warehouse_id="WH-MAD", quantity=10)
    result = await assess(GuardrailEngine(default_policy()), draft, tools=registry, the_facts=facts(), the_goal=goal())
    assert "price-floor" not in fired(result) and result.decision is not Decision.DENY


async def test_a_single_capability_server_is_seen_under_the_same_names(backends: Backends) -> None:
    server = build_server(Capability.REVIEWS, backends=backends)
    async with memory_client(server) as client:
        toolbox = Toolbox.of(await load_tools(client))
        assert Reviews.LIST_REVIEWS in toolbox.tools and "list_reviews" not in toolbox.tools
        assert toolbox.tools[Reviews.LIST_REVIEWS].name == Reviews.LIST_REVIEWS
        assert toolbox.reversibility(Reviews.REPLY_TO_REVIEW) is Rv.IRREVERSIBLE
        page = await toolbox.read(Reviews.LIST_REVIEWS, {"limit": 2})
    assert page is not None and len(page["items"]) == 2


async def test_two_servers_publishing_the_same_tool_are_refused_not_shadowed(backends: Backends) -> None:
    single = build_server(Capability.REVIEWS, backends=backends)
    combined = build_server(Capability.ALL, backends=backends)
    async with memory_client(single) as one, memory_client(combined) as both:
        tools = [*await load_tools(both), *await load_tools(one)]
    with pytest.raises(ValueError, match="both named 'reviews_list_reviews'"):
        Toolbox.of(tools)
