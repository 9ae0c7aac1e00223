"""`cadencia policy explain`: shows which rules fire and the decision, executing nothing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cadencia.agents.guardrails.cli import policy_app, trusted_tools
from cadencia.tools.policy.facts import FactsData, ProductFacts

GOAL = """
id: grow-serum
objective: Grow Hydra Serum revenue
kpi: {metric: revenue, target: 5000000, horizon_days: 30}
constraints: {min_margin_pct: 15, max_discount_pct: 25}
"""
CHEAP = {"tool": "inventory_set_price", "args": {"sku": "SERUM", "price_minor": 900, "currency": "EUR"}}
ENV = {"COLUMNS": "240"}


def _files(tmp_path: Path) -> tuple[Path, Path]:
    goal = tmp_path / "goal.yaml"
    goal.write_text(GOAL)
    facts = tmp_path / "facts.json"
    product = ProductFacts(sku="SERUM", price_minor=3_000, list_price_minor=3_500, cost_minor=1_000, currency="EUR")
    facts.write_text(FactsData(products=[product], stock_cover_days={"SERUM": 30.0}).model_dump_json())
    return goal, facts


def test_explain_shows_firing_rules_and_the_clamped_decision(tmp_path: Path) -> None:
    goal, facts = _files(tmp_path)
    args = ["explain", "--goal", str(goal), "--action", json.dumps(CHEAP), "--facts", str(facts)]
    result = CliRunner().invoke(policy_app, args, env=ENV)
    assert result.exit_code == 0, result.output
    assert "price-floor" in result.output and "below the floor" in result.output
    assert "skipped: applies_to ads_*" in result.output
    assert "decision: clamp" in result.output
    assert '"price_minor": 2625' in result.output


def test_explain_without_facts_shows_fail_closed_verdicts(tmp_path: Path) -> None:
    goal, _ = _files(tmp_path)
    action = tmp_path / "action.json"
    action.write_text(json.dumps(CHEAP))
    result = CliRunner().invoke(policy_app, ["explain", "--goal", str(goal), "--action", f"@{action}"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "unknown: product 'SERUM' is not in the facts" in result.output
    assert "decision: require_approval" in result.output


def test_explain_reports_a_malformed_policy_and_exits_2(tmp_path: Path) -> None:
    goal, _ = _files(tmp_path)
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\nrules:\n  - id: caps\n    check: spend_caps\n    params: {max_pct: 5}\n")
    args = ["explain", "--goal", str(goal), "--action", json.dumps(CHEAP), "--policy", str(bad)]
    result = CliRunner().invoke(policy_app, args, env=ENV)
    assert result.exit_code == 2
    assert "rule 'caps'" in result.output and "params.max_pct: unknown parameter" in result.output


def test_explain_treats_tools_missing_from_the_registry_as_irreversible(tmp_path: Path) -> None:
    goal, facts = _files(tmp_path)
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps({"inventory_set_price": "reversible"}))
    action = json.dumps({"tool": "crm_export_contacts", "args": {}})
    args = ["explain", "--goal", str(goal), "--action", action, "--facts", str(facts), "--tools", str(tools)]
    result = CliRunner().invoke(policy_app, args, env=ENV)
    assert result.exit_code == 0, result.output
    assert "crm_export_contacts (irreversible)" in result.output
    assert "engine.unknown_tool" in result.output


def test_the_default_registry_is_the_servers_trusted_one() -> None:
    tools = trusted_tools()
    assert tools["inventory_set_price"].value == "reversible"
    assert tools["inventory_confirm_purchase_order"].value == "irreversible"


def test_explain_reads_facts_from_the_sandbox_by_default(tmp_path: Path, seeded_sqlite_template: Path) -> None:
    goal, _ = _files(tmp_path)
    action = {"tool": "inventory_set_price", "args": {"sku": "ML-000001", "price_minor": 900, "currency": "EUR"}}
    args = ["explain", "--goal", str(goal), "--action", json.dumps(action), "--db", str(seeded_sqlite_template)]
    result = CliRunner().invoke(policy_app, args, env=ENV)
    assert result.exit_code == 0, result.output
    assert "unknown" not in result.output
    assert "below the floor" in result.output and "decision: clamp" in result.output
