"""Ads tools over an in-memory MCP session: campaigns, budgets under caps, pause/resume, performance."""

from __future__ import annotations

import json

from helpers.mcp import call_error, call_ok, mcp_session
from sqlalchemy import func, select

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.limits import BudgetLimits, Limits
from cadencia.tools.store.journal import calls
from cadencia.tools.store.store import Store

DRAFT = {
    "platform": "meta",
    "name": "Meta · Test",
    "objective": "traffic",
    "daily_budget_minor": 3000,
    "currency": "EUR",
}
HIDDEN = ("saturation", "hill_alpha", "adstock_theta", "response_max", "attribution_inflation")


def capped(store: Store, **budget: object) -> Backends:
    return sandbox_backends(store, Limits(budget=BudgetLimits(**budget)))  # type: ignore[arg-type]


def budget_args(campaign_id: str, new: int, current: int, **extra: object) -> dict[str, object]:
    return {
        "campaign_id": campaign_id,
        "daily_budget_minor": new,
        "currency": "EUR",
        "expected_current_minor": current,
        **extra,
    }


# -- discovery and reads ----------------------------------------------------------------------------------------


async def test_tools_publish_reversibility_and_never_expose_hidden_simulator_columns(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        listed = {t.name: t for t in (await s.list_tools()).tools}
        page = await call_ok(s, "list_campaigns", {"limit": 100})
        report = await call_ok(s, "get_performance", {})
    expected = {
        "list_campaigns": "read",
        "get_performance": "read",
        "set_budget": "reversible",
        "pause_campaign": "reversible",
        "resume_campaign": "reversible",
        "create_campaign": "reversible",
        "launch_campaign": "compensable",
        "create_creative": "reversible",
        "list_claims": "read",
        "start_experiment": "reversible",
        "get_experiment": "read",
        "undo": "reversible",
    }
    for name, cls in expected.items():
        assert listed[name].meta is not None
        assert listed[name].meta["cadencia/reversibility"] == cls
    assert listed["launch_campaign"].annotations is not None
    assert listed["launch_campaign"].annotations.destructive_hint is True
    assert "platform-attributed" in (listed["get_performance"].description or "")
    schemas = json.dumps([t.model_dump(mode="json") for t in listed.values()]).replace("adstock_theta", "")
    for word in HIDDEN:
        assert word not in schemas and word not in json.dumps(page)
    assert "response_max" not in json.dumps(report) and "attribution_inflation" not in json.dumps(report)


async def test_list_campaigns_pages_and_filters(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        first = await call_ok(s, "list_campaigns", {"limit": 4})
        assert len(first["items"]) == 4 and first["total"] == 9
        second = await call_ok(s, "list_campaigns", {"limit": 4, "cursor": first["next_cursor"]})
        third = await call_ok(s, "list_campaigns", {"limit": 4, "cursor": second["next_cursor"]})
        assert third["next_cursor"] is None
        ids = [c["id"] for c in first["items"] + second["items"] + third["items"]]
        assert len(set(ids)) == 9
        meta = await call_ok(s, "list_campaigns", {"platform": "meta"})
        assert {c["id"] for c in meta["items"]} == {"CMP-ME000", "CMP-ME001", "CMP-ME002"}
        assert (await call_ok(s, "list_campaigns", {"status": "draft"}))["items"] == []


async def test_bad_read_arguments_and_unknown_ids_are_refused_naming_the_field(backends: Backends) -> None:
    cases: list[tuple[str, dict[str, object], str]] = [
        ("list_campaigns", {"platform": "myspace"}, "platform"),
        ("list_campaigns", {"status": "running"}, "status"),
        ("list_campaigns", {"limit": 0}, "limit"),
        ("list_campaigns", {"limit": 101}, "limit"),
        ("list_campaigns", {"cursor": "garbage!"}, "cursor"),
        ("get_campaign", {"campaign_id": "CMP-XX999"}, "list_campaigns"),
        ("get_campaign", {}, "campaign_id"),
        ("get_performance", {"campaign_id": "CMP-XX999"}, "list_campaigns"),
        ("get_performance", {"days": 0}, "days"),
        ("get_performance", {"days": 400}, "days"),
        ("get_performance", {"since": "2026-02-10", "until": "2026-02-01"}, "since"),
        ("get_performance", {"since": "2026-04-01"}, "since"),
        ("get_performance", {"since": "not-a-date"}, "since"),
        ("get_performance", {"campaign_id": "CMP-ME000", "platform": "google"}, "platform"),
        ("get_performance", {"platform": "bing"}, "platform"),
    ]
    async with mcp_session("ads", backends) as s:
        for tool, args, needle in cases:
            assert needle in await call_error(s, tool, args), (tool, args)
        assert "[not_found]" in await call_error(s, "get_campaign", {"campaign_id": "CMP-XX999"})


async def test_budget_limits_show_caps_and_headroom(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        view = await call_ok(s, "get_budget_limits")
    assert view["currency"] == "EUR" and view["account_active_minor"] == 87_000
    meta = next(p for p in view["platforms"] if p["platform"] == "meta")
    assert meta == {"platform": "meta", "active_minor": 32_000, "cap_minor": 150_000, "headroom_minor": 118_000}


# -- performance ------------------------------------------------------------------------------------------------


async def test_saturated_campaigns_show_marginal_roas_well_below_average(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        report = await call_ok(s, "get_performance", {"days": 28})
    by_id = {c["campaign_id"]: c for c in report["campaigns"]}
    assert report["scope"] == "all" and len(by_id) == 9
    # Seeded saturation below the daily budget: CMP-ME000 (10500 < 15000) and CMP-GO001 (2000 < 5000).
    for cid in ("CMP-ME000", "CMP-GO001"):
        m = by_id[cid]["marginal"]
        assert m["quality"] in ("high", "medium")
        assert m["marginal_roas"] < 0.6 * by_id[cid]["metrics"]["roas"]
        assert m["elasticity"] < 0.6
    # Far below saturation (30000 vs 12000): the next euro returns about as much as the average one.
    assert by_id["CMP-ME002"]["marginal"]["marginal_roas"] > 0.9 * by_id["CMP-ME002"]["metrics"]["roas"]
    assert "log-log" in report["marginal"]["method"]


async def test_performance_totals_and_ratios_are_consistent(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        report = await call_ok(s, "get_performance", {"platform": "google", "days": 14})
    totals = report["totals"]
    rows = [c["metrics"] for c in report["campaigns"]]
    assert report["scope"] == "google" and len(rows) == 3
    assert totals["spend_minor"] == sum(r["spend_minor"] for r in rows)
    assert totals["revenue_minor"] == sum(r["revenue_minor"] for r in rows)
    assert totals["roas"] == round(totals["revenue_minor"] / totals["spend_minor"], 4)
    assert totals["cpa_minor"] == round(totals["spend_minor"] / totals["conversions"])
    assert (report["since"], report["until"]) == ("2026-02-16", "2026-03-01")


async def test_lift_is_reported_only_where_a_holdout_exists(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        report = await call_ok(s, "get_performance", {"days": 56})
    for c in report["campaigns"]:
        if c["campaign_id"] in ("CMP-ME000", "CMP-GO000", "CMP-TI000"):
            lift = c["lift"]
            assert lift["holdout_users"] > 0 and lift["holdout_conversions"] > 0
            assert lift["relative_lift_low"] < lift["relative_lift"] < lift["relative_lift_high"]
            assert 0 <= lift["p_value"] <= 1
            assert lift["incremental_conversions"] < c["metrics"]["conversions"]
        else:
            assert c["lift"] is None


async def test_marginal_roas_is_flagged_when_spend_barely_varied(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        report = await call_ok(s, "get_performance", {"campaign_id": "CMP-GO001", "days": 7})
    m = report["marginal"]
    assert m["quality"] == "low" and "barely varied" in m["note"]
    assert m["elasticity"] is not None and m["spend_variation"] < 0.05


async def test_performance_window_by_dates_and_breakdown_pages(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        page = await call_ok(s, "get_performance", {"since": "2026-02-01", "until": "2026-12-31", "limit": 5})
        assert (page["since"], page["until"]) == ("2026-02-01", "2026-03-01")
        assert len(page["campaigns"]) == 5 and page["next_cursor"]
        rest = await call_ok(s, "get_performance", {"since": "2026-02-01", "cursor": page["next_cursor"]})
        assert len(rest["campaigns"]) == 4 and rest["next_cursor"] is None
        assert rest["totals"] == page["totals"]


# -- set_budget -------------------------------------------------------------------------------------------------


async def test_every_reversible_ads_tool_is_undone_exactly(store: Store, backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        before = store.state_hash()
        budget = await call_ok(s, "set_budget", budget_args("CMP-ME001", 7000, 5000))
        await call_ok(s, "undo", {"token": budget["undo_token"]})
        paused = await call_ok(s, "pause_campaign", {"campaign_id": "CMP-GO000"})
        resumed = await call_ok(s, "resume_campaign", {"campaign_id": "CMP-GO000"})
        await call_ok(s, "undo", {"token": resumed["undo_token"]})
        await call_ok(s, "undo", {"token": paused["undo_token"]})
        draft = await call_ok(s, "create_campaign", {**DRAFT})
        copy = {"headline": "Free shipping", "body": "Over 50 EUR.", "ai_generated": False, "claim_ids": ["CL-SHIP"]}
        creative = await call_ok(s, "create_creative", {**copy, "campaign_id": draft["campaign"]["id"]})
        await call_ok(s, "undo", {"token": creative["undo_token"]})
        await call_ok(s, "undo", {"token": draft["undo_token"]})
        experiment = await call_ok(
            s,
            "start_experiment",
            {"name": "A/B", "campaign_a": "CMP-TI001", "campaign_b": "CMP-TI002", "metric": "cvr", "days": 7},
        )
        undone = await call_ok(s, "undo", {"token": experiment["undo_token"]})
        assert undone["tool"] == "start_experiment" and undone["restored"] == [
            f"experiments {experiment['experiment']['id']}"
        ]
        assert store.state_hash() == before


async def test_set_budget_returns_previous_new_and_the_totals_after(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        changed = await call_ok(s, "set_budget", budget_args("CMP-ME001", 7000, 5000))
        assert changed["previous_daily_budget_minor"] == 5000 and changed["daily_budget_minor"] == 7000
        assert changed["totals"]["platform_active_minor"] == 34_000
        assert changed["totals"]["account_active_minor"] == 89_000 and changed["totals"]["currency"] == "EUR"
        assert (await call_ok(s, "get_campaign", {"campaign_id": "CMP-ME001"}))["daily_budget_minor"] == 7000
        await call_ok(s, "undo", {"token": changed["undo_token"]})
        assert (await call_ok(s, "get_campaign", {"campaign_id": "CMP-ME001"}))["daily_budget_minor"] == 5000


BAD_BUDGETS: list[tuple[dict[str, object], str]] = [
    (budget_args("CMP-ME001", 7000, 4000), "expected_current_minor"),
    (budget_args("CMP-ME001", 7000, 5000, currency="USD"), "currency"),
    (budget_args("CMP-ME001", 8000, 5000), "max_budget_change"),
    (budget_args("CMP-ME001", 400, 5000), "min_daily_budget"),
    (budget_args("CMP-XX001", 5000, 5000), "list_campaigns"),
    (budget_args("CMP-ME001", -5, 5000), "daily_budget_minor"),
    (budget_args("CMP-ME001", "lots", 5000), "daily_budget_minor"),
    (budget_args("CMP-ME001", 7000, 5000, currency="eur"), "currency"),
    (budget_args("CMP-ME001", 7000, 5000, idempotency_key="short"), "idempotency_key"),
    ({"campaign_id": "CMP-ME001", "daily_budget_minor": 7000, "currency": "EUR"}, "expected_current_minor"),
]


async def test_bad_budget_changes_are_refused_naming_the_field_and_change_nothing(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("ads", backends) as s:
        before = store.state_hash()
        for args, needle in BAD_BUDGETS:
            assert needle in await call_error(s, "set_budget", args), args
        assert store.state_hash() == before


async def test_stale_expected_budget_is_a_conflict(store: Store, backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        text = await call_error(s, "set_budget", budget_args("CMP-ME001", 6000, 4999))
    assert "[conflict]" in text and "5000" in text


async def test_caps_refuse_increases_and_change_nothing(store: Store) -> None:
    platform_capped = capped(store, platform_daily_cap_minor={"meta": 33_000, "google": 10**6})
    account_capped = capped(store, account_daily_cap_minor=88_000)
    uncapped_tiktok = capped(store, platform_daily_cap_minor={"meta": 10**6})
    before = store.state_hash()
    async with mcp_session("ads", platform_capped) as s:
        text = await call_error(s, "set_budget", budget_args("CMP-ME001", 7000, 5000))
        assert "[policy_violation]" in text and "meta cap" in text and "platform_daily_cap" in text
    async with mcp_session("ads", account_capped) as s:
        assert "account_daily_cap" in await call_error(s, "set_budget", budget_args("CMP-GO001", 7000, 5000))
    async with mcp_session("ads", uncapped_tiktok) as s:
        assert "no daily cap" in await call_error(s, "set_budget", budget_args("CMP-TI001", 9000, 8000))
    assert store.state_hash() == before
    async with mcp_session("ads", platform_capped) as s:
        ok = await call_ok(s, "set_budget", budget_args("CMP-ME001", 6000, 5000))
        assert ok["totals"]["platform_cap_minor"] == 33_000


async def test_lowering_a_budget_is_allowed_even_when_already_over_the_cap(store: Store) -> None:
    async with mcp_session("ads", capped(store, platform_daily_cap_minor={"meta": 20_000})) as s:
        lowered = await call_ok(s, "set_budget", budget_args("CMP-ME001", 4000, 5000))
        assert lowered["totals"]["platform_active_minor"] == 31_000
        assert "meta cap" in await call_error(s, "set_budget", budget_args("CMP-ME001", 4500, 4000))


async def test_paused_campaign_budget_does_not_count_against_caps(store: Store) -> None:
    async with mcp_session("ads", capped(store, platform_daily_cap_minor={"meta": 32_000})) as s:
        await call_ok(s, "pause_campaign", {"campaign_id": "CMP-ME001"})
        raised = await call_ok(s, "set_budget", budget_args("CMP-ME001", 7500, 5000))
        assert raised["totals"]["platform_active_minor"] == 27_000


async def test_set_budget_retry_with_same_key_acts_once(store: Store, backends: Backends) -> None:
    args = budget_args("CMP-GO002", 6000, 5000, idempotency_key="budget-go002-1")
    async with mcp_session("ads", backends) as s:
        first = await call_ok(s, "set_budget", args)
        after_first = store.state_hash()
        # Acting twice would fail compare-and-set (the budget is no longer 5000): the same result means a replay.
        assert await call_ok(s, "set_budget", args) == first
        other = {**args, "daily_budget_minor": 6500}
        assert "idempotency_key" in await call_error(s, "set_budget", other)
        assert store.state_hash() == after_first
    with store.reading() as conn:
        recorded = conn.execute(select(func.count()).where(calls.c.tool == "set_budget")).scalar_one()
    assert recorded == 1


async def test_second_undo_and_stale_undo_are_refused(store: Store, backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        first = await call_ok(s, "set_budget", budget_args("CMP-TI002", 6000, 5000))
        await call_ok(s, "set_budget", budget_args("CMP-TI002", 7000, 6000))
        assert "stale" in await call_error(s, "undo", {"token": first["undo_token"]})
        assert (await call_ok(s, "get_campaign", {"campaign_id": "CMP-TI002"}))["daily_budget_minor"] == 7000
        second = await call_ok(s, "set_budget", budget_args("CMP-TI002", 7500, 7000))
        await call_ok(s, "undo", {"token": second["undo_token"]})
        assert "already used" in await call_error(s, "undo", {"token": second["undo_token"]})
        assert "[not_found]" in await call_error(s, "undo", {"token": "999-nope"})


async def test_budget_tools_need_the_write_scope_and_are_hidden_when_read_only(backends: Backends) -> None:
    async with mcp_session("ads", backends, scopes=frozenset({"read"})) as s:
        assert "write" in await call_error(s, "set_budget", budget_args("CMP-ME001", 6000, 5000))
    async with mcp_session("ads", backends, read_only=True) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert "get_performance" in names and not names & {"set_budget", "launch_campaign", "undo"}


# -- pause / resume ---------------------------------------------------------------------------------------------


async def test_pause_returns_the_totals_and_repeat_pause_is_a_conflict(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        paused = await call_ok(s, "pause_campaign", {"campaign_id": "CMP-ME000"})
        assert paused["campaign"]["status"] == "paused" and paused["previous"]["status"] == "active"
        assert paused["totals"]["platform_active_minor"] == 17_000 and paused["undo_token"]
        assert "[conflict]" in await call_error(s, "pause_campaign", {"campaign_id": "CMP-ME000"})
        assert "list_campaigns" in await call_error(s, "pause_campaign", {"campaign_id": "CMP-NOPE"})


async def test_resume_restarts_a_paused_campaign_and_repeat_resume_is_a_conflict(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        await call_ok(s, "pause_campaign", {"campaign_id": "CMP-TI001"})
        resumed = await call_ok(s, "resume_campaign", {"campaign_id": "CMP-TI001"})
        assert resumed["campaign"]["status"] == "active" and resumed["previous"]["status"] == "paused"
        assert resumed["totals"]["platform_active_minor"] == 25_000
        assert "[conflict]" in await call_error(s, "resume_campaign", {"campaign_id": "CMP-TI001"})


async def test_resume_and_undo_of_pause_respect_the_caps(store: Store) -> None:
    async with mcp_session("ads", capped(store, platform_daily_cap_minor={"meta": 32_000})) as s:
        paused = await call_ok(s, "pause_campaign", {"campaign_id": "CMP-ME000"})
        await call_ok(s, "set_budget", budget_args("CMP-ME001", 7500, 5000))
        before = store.state_hash()
        assert "meta cap" in await call_error(s, "resume_campaign", {"campaign_id": "CMP-ME000"})
        assert "meta cap" in await call_error(s, "undo", {"token": paused["undo_token"]})
        assert store.state_hash() == before


async def test_pause_retry_with_same_key_returns_the_first_result(store: Store, backends: Backends) -> None:
    args = {"campaign_id": "CMP-GO000", "idempotency_key": "pause-go000-1"}
    async with mcp_session("ads", backends) as s:
        first = await call_ok(s, "pause_campaign", args)
        assert await call_ok(s, "pause_campaign", args) == first
        assert "idempotency_key" in await call_error(s, "resume_campaign", args)
