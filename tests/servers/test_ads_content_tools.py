"""Ads tools over an in-memory MCP session: drafts and launch, creatives under approved claims, experiments."""

from __future__ import annotations

from datetime import date

from helpers.mcp import call_error, call_ok, mcp_session
from sqlalchemy import select, update

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.inventory.tables import stock
from cadencia.tools.limits import BudgetLimits, Limits
from cadencia.tools.store.store import Store

DRAFT = {
    "platform": "meta",
    "name": "Meta · Serum launch",
    "objective": "conversions",
    "daily_budget_minor": 6000,
    "currency": "EUR",
    "sku": "ML-000003",
    "holdout_pct": 10,
}
COPY = {"headline": "Glow, gently", "body": "Our serum is dermatologically tested.", "ai_generated": True}
CREATIVE = {**COPY, "campaign_id": "CMP-ME000"}
EXPERIMENT = {"name": "A/B", "campaign_a": "CMP-ME001", "campaign_b": "CMP-ME002", "metric": "ctr", "days": 14}

BAD_INPUTS: list[tuple[str, dict[str, object], list[str]]] = [
    ("create_campaign", {**DRAFT, "sku": "ML-999999"}, ["sku", "list_products"]),
    ("create_campaign", {**DRAFT, "currency": "USD"}, ["currency", "cap_currency"]),
    ("create_campaign", {**DRAFT, "daily_budget_minor": 100}, ["daily_budget_minor", "min_daily_budget"]),
    ("create_campaign", {**DRAFT, "platform": "snapchat"}, ["platform"]),
    ("create_campaign", {**DRAFT, "objective": "likes"}, ["objective"]),
    ("create_campaign", {**DRAFT, "holdout_pct": 80}, ["holdout_pct"]),
    ("create_campaign", {**DRAFT, "name": ""}, ["name"]),
    ("create_campaign", {k: v for k, v in DRAFT.items() if k != "currency"}, ["currency"]),
    ("create_creative", {**CREATIVE, "claim_ids": ["CL-DERM", "CL-WRINKLE"]}, ["CL-WRINKLE", "approved_claims"]),
    ("create_creative", {**CREATIVE, "claim_ids": ["CL-NOPE", "CL-FAKE"]}, ["claim_ids", "CL-NOPE", "CL-FAKE"]),
    ("create_creative", {**CREATIVE, "claim_ids": [], "body": "Cures acne in 3 days!"}, ["body", "CL-CURE"]),
    ("create_creative", {"campaign_id": "CMP-ME000", "headline": "H", "body": "B", "claim_ids": []}, ["ai_generated"]),
    ("create_creative", {**CREATIVE, "ai_generated": "perhaps", "claim_ids": []}, ["ai_generated"]),
    ("create_creative", {**CREATIVE, "headline": "", "claim_ids": []}, ["headline"]),
    ("create_creative", {**CREATIVE, "campaign_id": "CMP-NOPE", "claim_ids": []}, ["campaign_id", "list_campaigns"]),
    ("create_creative", dict(CREATIVE), ["claim_ids"]),
    ("start_experiment", {**EXPERIMENT, "campaign_b": "CMP-ME001"}, ["campaign_b must differ"]),
    ("start_experiment", {**EXPERIMENT, "campaign_b": "CMP-GO001"}, ["campaign_b", "same_platform"]),
    ("start_experiment", {**EXPERIMENT, "campaign_a": "CMP-NOPE"}, ["campaign_a: no campaign"]),
    ("start_experiment", {**EXPERIMENT, "metric": "likes"}, ["metric"]),
    ("start_experiment", {**EXPERIMENT, "days": 0}, ["days"]),
    ("start_experiment", {**EXPERIMENT, "days": 91}, ["days"]),
    ("get_experiment", {"experiment_id": "EXP-999999"}, ["experiment_id", "list_experiments"]),
    ("list_creatives", {"campaign_id": "CMP-NOPE"}, ["list_campaigns"]),
    ("launch_campaign", {"campaign_id": "CMP-NOPE"}, ["list_campaigns"]),
]


def set_today(store: Store, day: date) -> None:
    with store.writing() as conn:
        store.set_world(conn, "today", day.isoformat())


def set_stock(store: Store, sku: str, on_hand: int) -> None:
    with store.writing() as conn:
        conn.execute(update(stock).where(stock.c.sku == sku).values(on_hand=on_hand))


async def test_bad_inputs_are_refused_naming_field_and_rule_and_change_nothing(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("ads", backends) as s:
        before = store.state_hash()
        for tool, args, needles in BAD_INPUTS:
            text = await call_error(s, tool, args)
            assert all(n in text for n in needles), (tool, args, text)
        assert store.state_hash() == before


# -- create / launch --------------------------------------------------------------------------------------------


async def test_create_campaign_makes_a_draft_and_records_only_what_a_platform_would(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("ads", backends) as s:
        created = await call_ok(s, "create_campaign", DRAFT)
        draft = created["campaign"]
        assert draft["status"] == "draft" and draft["id"].startswith("CMP-") and created["previous"] is None
        assert draft["created_on"] == "2026-03-02" and draft["holdout_pct"] == 10
        assert "saturation_minor" not in draft and created["totals"]["platform_active_minor"] == 32_000
        with store.reading() as conn:
            row = conn.execute(select(campaigns).where(campaigns.c.id == draft["id"])).mappings().one()
        assert set(row) == {c.name for c in campaigns.c}
        assert not {"saturation_minor", "adstock_theta", "attribution_inflation"} & set(row)
        await call_ok(s, "undo", {"token": created["undo_token"]})
        assert (await call_ok(s, "list_campaigns", {"status": "draft"}))["total"] == 0


async def test_create_campaign_retry_with_same_key_creates_one_campaign(backends: Backends) -> None:
    args = {**DRAFT, "idempotency_key": "create-serum-launch"}
    async with mcp_session("ads", backends) as s:
        first = await call_ok(s, "create_campaign", args)
        assert await call_ok(s, "create_campaign", args) == first
        assert (await call_ok(s, "list_campaigns", {"status": "draft"}))["total"] == 1
        assert "idempotency_key" in await call_error(s, "create_campaign", {**args, "name": "Other"})


async def test_launch_is_compensable_and_counts_against_the_caps(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        draft = (await call_ok(s, "create_campaign", DRAFT))["campaign"]
        launched = await call_ok(s, "launch_campaign", {"campaign_id": draft["id"]})
        assert launched["campaign"]["status"] == "active" and launched["previous"]["status"] == "draft"
        assert launched["undo_token"] is None and "COMPENSABLE" in launched["note"]
        assert launched["totals"]["platform_active_minor"] == 38_000
        assert "[conflict]" in await call_error(s, "launch_campaign", {"campaign_id": draft["id"]})
        paused = await call_ok(s, "pause_campaign", {"campaign_id": draft["id"]})
        assert paused["totals"]["platform_active_minor"] == 32_000


async def test_launch_or_resume_over_the_cap_or_out_of_stock_is_refused_and_changes_nothing(store: Store) -> None:
    backends = sandbox_backends(store, Limits(budget=BudgetLimits(platform_daily_cap_minor={"meta": 20_000})))
    async with mcp_session("ads", backends) as s:
        in_stock = (await call_ok(s, "create_campaign", DRAFT))["campaign"]["id"]
        sold_out = (await call_ok(s, "create_campaign", {**DRAFT, "sku": "ML-000002"}))["campaign"]["id"]
        await call_ok(s, "pause_campaign", {"campaign_id": "CMP-ME000"})
        set_stock(store, "ML-000002", 0)
        before = store.state_hash()
        assert "sku_out_of_stock" in await call_error(s, "launch_campaign", {"campaign_id": sold_out})
        assert "sku_out_of_stock" in await call_error(s, "resume_campaign", {"campaign_id": "CMP-ME000"})
        text = await call_error(s, "launch_campaign", {"campaign_id": in_stock})
        assert "campaign_id" in text and "platform_daily_cap" in text
        assert "must be draft" in await call_error(s, "launch_campaign", {"campaign_id": "CMP-ME001"})
        assert store.state_hash() == before


# -- claims and creatives ---------------------------------------------------------------------------------------


async def test_list_claims_shows_approved_ones_by_default_with_the_flag(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        approved = await call_ok(s, "list_claims", {"limit": 100})
        everything = await call_ok(s, "list_claims", {"approved_only": False, "limit": 100})
        first = await call_ok(s, "list_claims", {"approved_only": False, "limit": 5})
        rest = await call_ok(s, "list_claims", {"approved_only": False, "limit": 100, "cursor": first["next_cursor"]})
        offers = await call_ok(s, "list_claims", {"category": "offer"})
    assert all(c["approved"] for c in approved["items"]) and len(approved["items"]) == 10
    refused = {c["id"] for c in everything["items"] if not c["approved"]}
    assert refused == {"CL-WRINKLE", "CL-CURE", "CL-BEST"}
    assert len(first["items"]) + len(rest["items"]) == 13
    assert {c["id"] for c in offers["items"]} == {"CL-SHIP", "CL-RETURN"}


async def test_creative_with_approved_claims_is_listed_and_undo_removes_it(backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        made = await call_ok(s, "create_creative", {**CREATIVE, "claim_ids": ["CL-DERM", "CL-DERM"]})
        creative = made["creative"]
        assert creative["ai_generated"] is True and creative["claim_ids"] == ["CL-DERM"]
        listed = await call_ok(s, "list_creatives", {"campaign_id": "CMP-ME000"})
        assert [c["id"] for c in listed["items"]] == [creative["id"]]
        await call_ok(s, "undo", {"token": made["undo_token"]})
        assert (await call_ok(s, "list_creatives", {}))["items"] == []


async def test_undo_of_a_draft_with_creatives_is_refused_cleanly(store: Store, backends: Backends) -> None:
    async with mcp_session("ads", backends) as s:
        created = await call_ok(s, "create_campaign", {**DRAFT, "sku": None})
        args = {**COPY, "campaign_id": created["campaign"]["id"], "claim_ids": ["CL-SHIP"], "ai_generated": False}
        await call_ok(s, "create_creative", args)
        before = store.state_hash()
        text = await call_error(s, "undo", {"token": created["undo_token"]})
        assert "[conflict]" in text and "creatives" in text
        assert store.state_hash() == before


# -- experiments ------------------------------------------------------------------------------------------------


async def test_start_experiment_reports_no_data_yet_and_refuses_overlaps(backends: Backends) -> None:
    args = {**EXPERIMENT, "metric": "roas"}
    async with mcp_session("ads", backends) as s:
        started = await call_ok(s, "start_experiment", args)
        exp = started["experiment"]
        assert exp["status"] == "running" and (exp["started_on"], exp["ends_on"]) == ("2026-03-02", "2026-03-15")
        report = await call_ok(s, "get_experiment", {"experiment_id": exp["id"]})
        assert report["until"] is None and report["p_value"] is None and report["significant"] is False
        assert (await call_ok(s, "list_experiments"))["items"] == [exp]
        overlapping = {**args, "days": 7, "campaign_b": "CMP-ME000"}
        assert "still running" in await call_error(s, "start_experiment", overlapping)
        await call_ok(s, "undo", {"token": started["undo_token"]})
        assert (await call_ok(s, "list_experiments"))["items"] == []


async def test_experiment_report_names_the_better_arm_when_significant(store: Store, backends: Backends) -> None:
    set_today(store, date(2026, 2, 2))
    async with mcp_session("ads", backends) as s:
        args = {"name": "ROAS", "campaign_a": "CMP-ME001", "campaign_b": "CMP-ME002", "metric": "roas", "days": 28}
        exp = (await call_ok(s, "start_experiment", args))["experiment"]
        cpa = {**args, "name": "CPA", "metric": "cpa", "campaign_a": "CMP-GO001", "campaign_b": "CMP-GO002"}
        cpa_id = (await call_ok(s, "start_experiment", cpa))["experiment"]["id"]
        set_today(store, date(2026, 3, 2))
        report = await call_ok(s, "get_experiment", {"experiment_id": exp["id"]})
        assert report["until"] == "2026-03-01" and report["arm_a"]["days_with_data"] == 28
        assert report["arm_b"]["value"] > report["arm_a"]["value"]
        assert report["significant"] is True and report["better"] == "b" and report["p_value"] < 0.05
        assert "Welch" in report["test"]
        assert (await call_ok(s, "list_experiments"))["items"][0]["status"] == "completed"
        cpa_report = await call_ok(s, "get_experiment", {"experiment_id": cpa_id})
        assert cpa_report["arm_a"]["value"] == cpa_report["arm_a"]["metrics"]["cpa_minor"]
        assert cpa_report["significant"] is True
        lower = "a" if cpa_report["arm_a"]["value"] < cpa_report["arm_b"]["value"] else "b"
        assert cpa_report["better"] == lower
