"""The shipped scenario suites (evals/suites/smoke and evals/suites/core): they validate, cover the themes the
design asks for, and every scenario carries a gate a careless agent would fail. Malformed scenarios are rejected
with a message naming the file and the field."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from cadencia.evals.scenarios import (
    ApproverMode,
    Scenario,
    ScenarioError,
    Suite,
    load_scenario,
    load_suite,
    scenario_json_schema,
)
from cadencia.evals.world import PromptInjection
from cadencia.tools.seed import Scale

SUITES = Path(__file__).resolve().parents[2] / "evals" / "suites"
SMOKE = SUITES / "smoke"
CORE = SUITES / "core"

# Every base tool name the servers expose (servers/*.py); forbidden actions must name one of them (or a glob).
SERVER_TOOLS = {
    "list_campaigns", "get_campaign", "get_budget_limits", "get_performance", "set_budget", "pause_campaign",
    "resume_campaign", "create_campaign", "launch_campaign", "list_claims", "list_creatives", "create_creative",
    "list_experiments", "start_experiment", "get_experiment", "undo",
    "find_contacts", "get_contact", "suppress_contact", "list_segments", "create_segment", "estimate_segment",
    "draft_message", "list_messages", "list_sends", "schedule_send", "cancel_send", "send_now",
    "list_products", "get_product", "get_stock", "forecast_demand", "list_forecasts", "sales_report",
    "adjust_stock", "set_price", "list_promotions", "schedule_promotion", "end_promotion", "update_product_content",
    "list_purchase_orders", "create_purchase_order", "confirm_purchase_order", "cancel_purchase_order",
    "list_reviews", "get_review", "review_summary", "reply_to_review", "flag_review", "unflag_review",
    "check_review_request_eligibility", "request_reviews", "list_review_requests",
}  # fmt: skip

# Tables and columns an end-state assertion may read (tools/*/tables.py).
TABLE_COLUMNS = {
    "products": {"sku", "name", "category", "currency", "list_price_minor", "price_minor", "cost_minor", "status",
                 "title", "description", "bullets", "lead_time_days"},
    "stock": {"sku", "warehouse_id", "on_hand", "reserved"},
    "sales_daily": {"sku", "day", "units", "revenue_minor", "lost_units"},
    "promotions": {"id", "sku", "discount_pct", "starts_on", "ends_on", "status", "label"},
    "purchase_orders": {"id", "sku", "warehouse_id", "quantity", "unit_cost_minor", "currency", "status",
                        "created_on", "confirmed_on", "expected_on", "received_on"},
    "campaigns": {"id", "platform", "name", "status", "objective", "currency", "daily_budget_minor", "sku",
                  "holdout_pct", "created_on"},
    "creatives": {"id", "campaign_id", "headline", "body", "ai_generated", "claim_ids", "status", "created_on"},
    "contacts": {"id", "country", "orders_count", "lifetime_value_minor", "suppressed", "notes"},
    "consents": {"contact_id", "channel", "status", "source", "legal_basis", "updated_on"},
    "messages": {"id", "channel", "subject", "body", "claim_ids", "ai_generated", "created_on", "send_count"},
    "sends": {"id", "message_id", "segment_id", "channel", "status", "scheduled_for", "sent_on", "recipients",
              "skipped"},
    "deliveries": {"send_id", "contact_id", "channel", "sent_on", "kind"},
    "reviews": {"id", "sku", "rating", "language", "created_on", "verified_purchase"},
    "review_replies": {"review_id", "body", "claim_ids", "created_on"},
    "review_flags": {"review_id", "reason", "note", "flagged_on"},
    "review_requests": {"id", "contact_id", "sku", "channel", "sent_on"},
}  # fmt: skip

SEEDED_SKUS = {f"ML-{i:06d}" for i in range(40)}
SEEDED_CAMPAIGNS = {f"CMP-{p}{j:03d}" for p in ("ME", "GO", "TI") for j in range(3)}
SEEDED_SEGMENTS = {"SEG-VIP", "SEG-LAPSED", "SEG-SKIN"}

# Theme → tags or id fragments that cover it; each theme must be hit by at least one core scenario.
REQUIRED_THEMES = {
    "stockout prevention under a demand spike": {"demand_spike"},
    "overstock clearance within discount caps": {"overstock"},
    "budget reallocation by marginal ROAS": {"budget-reallocation"},
    "the average-ROAS trap": {"roas_trap"},
    "CPM shock": {"cpm_shock"},
    "negative review storm": {"negative-storm"},
    "unapproved claims": {"claims"},
    "consent trap": {"consent-trap"},
    "prompt injection in a review": {"injection-budget", "injection-five-star"},
    "prompt injection in a CRM contact note": {"injection-contact-note"},
    "supplier delay": {"supplier_delay"},
    "irreversible purchase order approved": {"po-approved"},
    "irreversible purchase order rejected": {"po-rejected"},
    "irreversible purchase order timed out": {"po-timeout"},
    "budget exhaustion": {"budget-exhaustion"},
    "conflicting goals (revenue vs stock cover)": {"conflict"},
    "competitor price cut": {"competitor"},
    "viral post": {"viral"},
    "large-scale world": {"large"},
}


@pytest.fixture(scope="module")
def smoke() -> Suite:
    return load_suite(SMOKE)


@pytest.fixture(scope="module")
def core() -> Suite:
    return load_suite(CORE)


def _all(smoke: Suite, core: Suite) -> list[Scenario]:
    return [*smoke.scenarios, *core.scenarios]


def _covers(scenario: Scenario, needles: set[str]) -> bool:
    return any(n in scenario.tags or n in scenario.id for n in needles)


def _event_kinds(scenario: Scenario) -> set[str]:
    return {e.event.kind for e in scenario.events}


# -- the suites load --------------------------------------------------------------------------------------------


def test_manifests(smoke: Suite, core: Suite) -> None:
    assert (smoke.name, smoke.version) == ("smoke", "1.0")
    assert (core.name, core.version) == ("core", "1.0")


def test_suite_sizes(smoke: Suite, core: Suite) -> None:
    assert len(smoke.scenarios) == 3
    assert len(core.scenarios) >= 24


def test_every_yaml_file_is_a_scenario(smoke: Suite, core: Suite) -> None:
    for suite in (smoke, core):
        files = [p for p in suite.path.glob("*.yaml") if p.name != "suite.yaml"]
        assert len(files) == len(suite.scenarios), f"{suite.name}: a YAML file was skipped"
        assert not list(suite.path.glob("*.yml")), f"{suite.name}: .yml files are not loaded; use .yaml"


def test_ids_unique_across_suites(smoke: Suite, core: Suite) -> None:
    ids = Counter(s.id for s in _all(smoke, core))
    assert not [i for i, n in ids.items() if n > 1]
    assert all(s.id.startswith("smoke.") for s in smoke.scenarios)
    assert all(s.id.startswith("core.") for s in core.scenarios)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in SUITES.glob("*/*.yaml") if p.name != "suite.yaml"),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_each_file_validates_on_its_own(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.description.strip()
    assert scenario.tags


# -- sizes and horizons -----------------------------------------------------------------------------------------


def test_smoke_is_short(smoke: Suite) -> None:
    for s in smoke.scenarios:
        assert 2 <= s.horizon_days <= 3, s.id
        assert s.world.scale is Scale.SMALL, s.id
        assert "smoke" in s.tags, s.id


def test_core_horizons_and_scale(core: Suite) -> None:
    large = [s for s in core.scenarios if s.world.scale is Scale.LARGE]
    assert len(large) == 1, "exactly one LARGE-scale scenario"
    assert "large" in large[0].tags
    assert 1 <= large[0].horizon_days <= 2
    for s in core.scenarios:
        if s.world.scale is Scale.SMALL:
            assert 5 <= s.horizon_days <= 14, s.id
        else:
            assert "large" in s.tags, s.id


def test_goal_horizon_matches_scenario(smoke: Suite, core: Suite) -> None:
    for s in _all(smoke, core):
        assert s.goal.kpi.horizon_days == s.horizon_days, s.id


def test_events_fall_inside_the_horizon(smoke: Suite, core: Suite) -> None:
    for s in _all(smoke, core):
        for e in s.events:
            assert e.day < s.horizon_days, f"{s.id}: event on day {e.day} never runs"


# -- gates ------------------------------------------------------------------------------------------------------


def test_every_scenario_has_a_gate(smoke: Suite, core: Suite) -> None:
    for s in _all(smoke, core):
        x = s.expectations
        assert x.forbidden or x.end_state or x.kpi or x.injection, f"{s.id} has no gate"


def test_every_scenario_has_a_world_gate(smoke: Suite, core: Suite) -> None:
    """The injection flag alone is not enough: each scenario also says what must (not) happen in the world."""
    for s in _all(smoke, core):
        x = s.expectations
        assert x.forbidden or x.end_state or x.kpi, f"{s.id} relies on the injection flag only"


def test_injection_scenarios_carry_an_attack(smoke: Suite, core: Suite) -> None:
    for s in _all(smoke, core):
        attacks = [e.event for e in s.events if isinstance(e.event, PromptInjection)]
        assert s.expectations.injection == bool(attacks), s.id
        if attacks:
            assert "injection" in s.tags, s.id
            assert s.expectations.forbidden, f"{s.id}: an attack needs forbidden actions (the attacker's goal)"


def test_forbidden_tools_exist(smoke: Suite, core: Suite) -> None:
    for s in _all(smoke, core):
        for f in s.expectations.forbidden:
            if any(ch in f.tool for ch in "*?["):
                continue
            assert f.tool in SERVER_TOOLS, f"{s.id}: forbidden tool {f.tool!r} is not a server tool (base name)"
            assert not f.tool.startswith(("ads_", "crm_", "inventory_", "reviews_")), f"{s.id}: use the base name"


def test_end_state_reads_real_columns(smoke: Suite, core: Suite) -> None:
    for s in _all(smoke, core):
        names = [a.name for a in s.expectations.end_state]
        assert len(names) == len(set(names)), f"{s.id}: duplicate end-state names"
        for a in s.expectations.end_state:
            assert a.table in TABLE_COLUMNS, f"{s.id}/{a.name}: unknown table {a.table}"
            columns = TABLE_COLUMNS[a.table]
            assert a.column in columns, f"{s.id}/{a.name}: unknown column {a.table}.{a.column}"
            for key in a.match:
                assert key in columns, f"{s.id}/{a.name}: unknown match column {a.table}.{key}"


def test_ids_named_in_scenarios_exist_in_the_seed(smoke: Suite, core: Suite) -> None:
    """A typo in a SKU, campaign or segment id would make a gate vacuous (it would match no row)."""
    for s in _all(smoke, core):
        if s.world.scale is not Scale.SMALL:
            continue
        dump = s.model_dump(mode="json", exclude={"description": True, "goal": {"objective"}})
        text = repr(dump)
        for sku in re.findall(r"ML-\d{6}", text):
            assert sku in SEEDED_SKUS, f"{s.id}: unknown SKU {sku}"
        for campaign in re.findall(r"CMP-[A-Z]{2}\d{3}", text):
            assert campaign in SEEDED_CAMPAIGNS, f"{s.id}: unknown campaign {campaign}"
        for segment in re.findall(r"SEG-[A-Z]+", text):
            assert segment in SEEDED_SEGMENTS, f"{s.id}: unknown segment {segment}"


def test_patches_target_rows_by_key(core: Suite) -> None:
    """Patches are equality matches: each one names the row(s) it changes, never the whole table."""
    for s in core.scenarios:
        for p in s.world.patches:
            assert p.match, f"{s.id}: a patch without match rewrites every row of {p.table}"
            assert p.set, s.id


def test_kpi_targets_are_not_met_at_start(smoke: Suite, core: Suite) -> None:
    """Money KPIs sit above what the horizon can reach, so the run is not cut short by `goal_met`."""
    for s in _all(smoke, core):
        if s.goal.kpi.metric.value in ("revenue", "gross_profit"):
            assert s.goal.kpi.target >= 1_000_000, s.id


# -- coverage ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", sorted(REQUIRED_THEMES))
def test_core_covers_theme(core: Suite, theme: str) -> None:
    assert any(_covers(s, REQUIRED_THEMES[theme]) for s in core.scenarios), f"no core scenario covers {theme}"


def test_core_uses_every_event_kind(core: Suite) -> None:
    kinds = set().union(*(_event_kinds(s) for s in core.scenarios))
    assert kinds >= {
        "demand_spike",
        "supplier_delay",
        "competitor_price_cut",
        "viral_post",
        "negative_review_burst",
        "cpm_shock",
        "prompt_injection",
    }


def test_core_injections_hit_reviews_notes_and_product_pages_in_more_than_one_language(core: Suite) -> None:
    injections = [e.event for s in core.scenarios for e in s.events if isinstance(e.event, PromptInjection)]
    assert {i.target for i in injections} >= {"review", "contact_note", "product_description"}
    assert {i.language for i in injections if i.target == "review"} >= {"en", "es"}


def test_core_uses_the_scenario_language(core: Suite) -> None:
    kinds = {e.event.kind for s in core.scenarios for e in s.events}
    assert {"consent_withdrawn", "contact_suppressed", "another_client"} <= kinds
    assert any(s.world.fx_rates for s in core.scenarios), "a multi-currency world"
    assert any(a.window for s in core.scenarios for a in s.expectations.end_state), "an end-state time window"
    tests = [t for s in core.scenarios for f in s.expectations.forbidden for t in f.where]
    assert {t.op for t in tests} >= {">", "contains"} and any(t.than for t in tests), "comparisons and a budget raise"


def test_core_exercises_every_approver_mode(core: Suite) -> None:
    modes = {s.approver.mode for s in core.scenarios}
    assert modes == set(ApproverMode)
    for s in core.scenarios:
        if s.approver.mode is ApproverMode.APPROVE_TOOLS:
            assert s.approver.tools, s.id
            assert set(s.approver.tools) <= SERVER_TOOLS, s.id


def test_smoke_themes(smoke: Suite) -> None:
    by_tag = {tag for s in smoke.scenarios for tag in s.tags}
    assert {"stock", "injection", "approval"} <= by_tag
    assert any(s.expectations.injection for s in smoke.scenarios)
    assert any(s.approver.mode is ApproverMode.REJECT_IRREVERSIBLE for s in smoke.scenarios)
    injected = next(s for s in smoke.scenarios if s.expectations.injection)
    assert {f.tool for f in injected.expectations.forbidden} >= {"send_now", "schedule_promotion"}


def test_roas_trap_patches_the_markets_hidden_truth(core: Suite) -> None:
    trap = next(s for s in core.scenarios if "roas_trap" in s.tags)
    patched = [p for p in trap.world.patches if p.table == "sim_campaign_truth"]
    assert patched and {"saturation_minor", "attribution_inflation"} <= set(patched[0].set)
    campaign = patched[0].match["campaign_id"]
    assert any(a.table == "campaigns" and a.match.get("id") == campaign for a in trap.expectations.end_state)


def test_conflicting_goal_uses_stock_cover(core: Suite) -> None:
    conflict = next(s for s in core.scenarios if "conflict" in s.tags)
    assert conflict.goal.kpi.metric.value == "stock_cover"
    assert conflict.goal.kpi.skus


# -- schema -----------------------------------------------------------------------------------------------------


def test_json_schema_is_valid() -> None:
    schema = scenario_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema == Scenario.model_json_schema()
    assert {"id", "description", "goal", "horizon_days"} <= set(schema["required"])


def test_shipped_scenarios_validate_against_the_json_schema(smoke: Suite, core: Suite) -> None:
    """The published schema accepts what the loader accepts (scenarios written by hand or by other tools)."""
    import yaml

    validator = Draft202012Validator(scenario_json_schema())
    for suite in (smoke, core):
        for path in sorted(suite.path.glob("*.yaml")):
            if path.name == "suite.yaml":
                continue
            errors = sorted(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))), key=str)
            assert not errors, f"{path.name}: {errors[0].message}"


# -- malformed scenarios ----------------------------------------------------------------------------------------

GOOD = """\
id: bad.example
description: a scenario used to test validation
goal:
  id: g
  objective: keep stock
  kpi: {metric: units, target: 10, horizon_days: 3}
horizon_days: 3
"""


def _write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_template_loads(tmp_path: Path) -> None:
    assert load_scenario(_write(tmp_path, GOOD)).id == "bad.example"


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (GOOD + "colour: blue\n", "colour", "Extra inputs are not permitted"),
        (GOOD.replace("horizon_days: 3\n", "horizon_days: -2\n"), "horizon_days", "greater than or equal to 1"),
        (GOOD.replace("horizon_days: 3\n", "horizon_days: 500\n"), "horizon_days", "less than or equal to 120"),
        (GOOD + "approver: {mode: approve_some}\n", "approver.mode", "Input should be"),
        (
            GOOD + "events:\n  - day: 1\n    event: {kind: meteor_strike, sku: ML-000001}\n",
            "events.0.event",
            "does not match any of the expected tags",
        ),
        (
            GOOD + "events:\n  - day: 1\n    event: {kind: demand_spike, multiplier: 2, days: 3}\n",
            "events.0.event.demand_spike",
            "exactly one of `sku` or `category`",
        ),
        (
            GOOD + "events:\n  - day: -1\n    event: {kind: cpm_shock, platform: meta, multiplier: 2, days: 3}\n",
            "events.0.day",
            "greater than or equal to 0",
        ),
        (
            GOOD + "events:\n  - day: 0\n    event: {kind: prompt_injection, target: review, text: hi}\n",
            "events.0.event.prompt_injection",
            "needs `sku`",
        ),
        (GOOD + "world: {scale: huge}\n", "world.scale", "Input should be"),
        (GOOD + "world: {patches: [{table: ledger, set: {x: 1}}]}\n", "world.patches.0.table", "Input should be"),
        (
            GOOD + "expectations: {kpi: [{metric: happiness, op: '>', value: 1}]}\n",
            "expectations.kpi.0.metric",
            "Input should be",
        ),
        (
            GOOD + "expectations: {end_state: [{name: x, table: stock, column: on_hand, op: '=>', value: 1}]}\n",
            "expectations.end_state.0.op",
            "Input should be",
        ),
        (
            GOOD + "expectations: {forbidden: [{tool: send_now, why: because}]}\n",
            "expectations.forbidden.0.why",
            "Extra inputs are not permitted",
        ),
        (GOOD.replace("id: bad.example", "id: Bad Example"), "id", "should match pattern"),
        (GOOD.replace("  kpi: {metric: units", "  kpi: {metric: vibes"), "goal.kpi.metric", "Input should be"),
    ],
    ids=[
        "unknown-key",
        "negative-horizon",
        "horizon-too-long",
        "bad-approver-mode",
        "wrong-event-kind",
        "spike-without-target",
        "negative-event-day",
        "injection-without-sku",
        "bad-scale",
        "bad-patch-table",
        "bad-kpi-metric",
        "bad-comparison",
        "unknown-forbidden-key",
        "bad-id",
        "bad-goal-metric",
    ],
)
def test_malformed_scenario_is_rejected_naming_the_field(tmp_path: Path, text: str, field: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = str(caught.value)
    assert error.startswith(f"{path}: {field}: "), error
    assert message in error, error


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("horizon_days: 3\n", ""))
    with pytest.raises(ScenarioError, match=r"scenario\.yaml: horizon_days: Field required"):
        load_scenario(path)


def test_invalid_yaml_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "id: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(path)


def test_suite_rejects_a_malformed_member_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text("name: t\nversion: '1.0'\n", encoding="utf-8")
    _write(tmp_path, GOOD, "a.yaml")
    bad = _write(tmp_path, GOOD.replace("id: bad.example", "id: other") + "approver: {mode: maybe}\n", "b.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_suite(tmp_path)
    assert str(caught.value).startswith(f"{bad}: approver.mode: ")


def test_suite_rejects_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text("name: t\nversion: '1.0'\n", encoding="utf-8")
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ScenarioError, match=r"duplicate scenario ids \['bad.example'\]"):
        load_suite(tmp_path)


def test_suite_needs_a_manifest(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, "a.yaml")
    with pytest.raises(ScenarioError, match=r"missing suite\.yaml"):
        load_suite(tmp_path)
    (tmp_path / "suite.yaml").write_text("name: t\nversion: one\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"suite\.yaml: "):
        load_suite(tmp_path)
