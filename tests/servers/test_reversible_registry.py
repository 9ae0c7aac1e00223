"""The trusted reversibility registry across every capability, checked through the combined `all` server.

Every tool publishes its class and hints that agree with it; every reversible tool is undone exactly. Adding a
reversible tool without an undo case below fails `test_every_reversible_tool_has_an_undo_case`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from helpers.mcp import call_ok, mcp_session
from mcp import Client
from mcp.types import Tool

from cadencia.servers.app import TOOLSETS
from cadencia.servers.context import Backends
from cadencia.tools.reversibility import META_KEY, Reversibility
from cadencia.tools.store.store import Store

REGISTRY: dict[str, Reversibility] = {
    name: rv for cap, tools in TOOLSETS.items() for name, rv in tools.registry(f"{cap.value}_").items()
}
CAPABILITY_OF = {name: cap.value for cap, tools in TOOLSETS.items() for name in tools.registry(f"{cap.value}_")}
REVERSIBLE = {name for name, rv in REGISTRY.items() if rv is Reversibility.REVERSIBLE and not name.endswith("_undo")}

Prepare = Callable[[Client], Awaitable[dict[str, Any]]]
"""Makes whatever the forward call needs (before the state is hashed) and returns its arguments."""

PROMOTION = {"sku": "ML-000001", "discount_pct": 10, "starts_on": "2026-03-02", "ends_on": "2026-03-08", "label": "S"}
EMAIL = {
    "channel": "email",
    "subject": "Spring",
    "body": "Hello {{first_name}}",
    "claim_ids": [],
    "ai_generated": False,
}


def given(args: dict[str, Any]) -> Prepare:
    async def prepare(_s: Client) -> dict[str, Any]:
        return args

    return prepare


def after(tool: str, args: dict[str, Any], pick: Callable[[dict[str, Any]], dict[str, Any]]) -> Prepare:
    """Call `tool` first (e.g. create what the case cancels) and derive the case's arguments from its result."""

    async def prepare(s: Client) -> dict[str, Any]:
        return pick(await call_ok(s, tool, args))

    return prepare


async def scheduled_send(s: Client) -> dict[str, Any]:
    message = (await call_ok(s, "crm_draft_message", EMAIL))["message"]["id"]
    send = await call_ok(
        s, "crm_schedule_send", {"message_id": message, "segment_id": "SEG-VIP", "scheduled_for": "2026-03-05"}
    )
    return {"send_id": send["send"]["id"]}


UNDO_CASES: dict[str, Prepare] = {
    "inventory_adjust_stock": given(
        {"sku": "ML-000001", "warehouse_id": "WH-MAD", "delta": 5, "expected_on_hand": 133, "reason": "recount"}
    ),
    "inventory_set_price": given({"sku": "ML-000001", "price_minor": 2490, "currency": "EUR"}),
    "inventory_schedule_promotion": given({**PROMOTION, "sku": "ML-000003"}),
    "inventory_end_promotion": after(
        "inventory_schedule_promotion", PROMOTION, lambda r: {"promotion_id": r["promotion"]["id"]}
    ),
    "inventory_update_product_content": given({"sku": "ML-000001", "title": "Palette", "bullets": ["Vegan formula"]}),
    "inventory_create_purchase_order": given({"sku": "ML-000002", "warehouse_id": "WH-MAD", "quantity": 100}),
    "inventory_cancel_purchase_order": after(
        "inventory_create_purchase_order",
        {"sku": "ML-000005", "warehouse_id": "WH-BOG", "quantity": 40},
        lambda r: {"purchase_order_id": r["purchase_order"]["id"]},
    ),
    "ads_set_budget": given(
        {"campaign_id": "CMP-ME001", "daily_budget_minor": 7000, "currency": "EUR", "expected_current_minor": 5000}
    ),
    "ads_pause_campaign": given({"campaign_id": "CMP-GO000"}),
    "ads_resume_campaign": after(
        "ads_pause_campaign", {"campaign_id": "CMP-GO002"}, lambda r: {"campaign_id": r["campaign"]["id"]}
    ),
    "ads_create_campaign": given(
        {
            "platform": "meta",
            "name": "Meta · Test",
            "objective": "traffic",
            "daily_budget_minor": 3000,
            "currency": "EUR",
        }
    ),
    "ads_create_creative": given(
        {
            "campaign_id": "CMP-ME000",
            "headline": "Free shipping",
            "body": "Over 50 EUR.",
            "ai_generated": False,
            "claim_ids": ["CL-SHIP"],
        }
    ),
    "ads_start_experiment": given(
        {"name": "A/B", "campaign_a": "CMP-TI001", "campaign_b": "CMP-TI002", "metric": "cvr", "days": 7}
    ),
    "reviews_flag_review": given({"review_id": "RV-000010", "reason": "spam", "note": "repeated link"}),
    "reviews_unflag_review": after(
        "reviews_flag_review", {"review_id": "RV-000011", "reason": "off_topic"}, lambda r: {"review_id": "RV-000011"}
    ),
    "crm_create_segment": given({"name": "Active ES/FR", "rules": {"countries": ["ES", "FR"], "min_orders": 2}}),
    "crm_draft_message": given(EMAIL),
    "crm_schedule_send": after(
        "crm_draft_message",
        EMAIL,
        lambda r: {"message_id": r["message"]["id"], "segment_id": "SEG-SKIN", "scheduled_for": "2026-03-04"},
    ),
    "crm_cancel_send": scheduled_send,
}


async def _listed(backends: Backends) -> dict[str, Tool]:
    async with mcp_session("all", backends) as s:
        return {t.name: t for t in (await s.list_tools()).tools}


def _differing(store: Store, tables: dict[str, str]) -> list[str]:
    return sorted(name for name, digest in store.table_hashes().items() if tables[name] != digest)


def _properties(tool: Tool) -> set[str]:
    return set(tool.input_schema.get("properties", {}))


async def test_every_tool_publishes_its_reversibility_with_matching_hints_a_schema_and_a_description(
    backends: Backends,
) -> None:
    listed = await _listed(backends)
    assert set(listed) == set(REGISTRY)
    for name, tool in listed.items():
        rv = REGISTRY[name]
        assert tool.meta is not None and tool.meta[META_KEY] == rv.value, name
        assert tool.meta["cadencia/capability"] == CAPABILITY_OF[name], name
        assert tool.annotations is not None, name
        assert tool.annotations.read_only_hint is (rv is Reversibility.READ), name
        if rv in (Reversibility.COMPENSABLE, Reversibility.IRREVERSIBLE):
            assert tool.annotations.destructive_hint is True, name  # every hint is pinned in test_annotations.py
        assert tool.output_schema and tool.output_schema.get("type") == "object", name
        assert tool.description and len(tool.description) >= 20, name
    for name in (n for n, rv in REGISTRY.items() if rv is Reversibility.IRREVERSIBLE):
        assert "IRREVERSIBLE" in (listed[name].description or ""), f"{name} should warn the model in its description"


async def test_every_mutating_tool_accepts_an_idempotency_key(backends: Backends) -> None:
    listed = await _listed(backends)
    mutating = [name for name, rv in REGISTRY.items() if rv.mutates]
    assert mutating
    missing = [name for name in mutating if "idempotency_key" not in _properties(listed[name])]
    assert missing == []


async def test_every_list_tool_accepts_a_cursor_and_a_limit(backends: Backends) -> None:
    listed = await _listed(backends)
    lists = [name for name in listed if name.split("_", 1)[1].startswith("list_")]
    assert len(lists) >= 4 * 2
    missing = [name for name in lists if not {"cursor", "limit"} <= _properties(listed[name])]
    assert missing == []
    for name in lists:
        limit = listed[name].input_schema["properties"]["limit"]
        assert (limit.get("minimum"), limit.get("maximum")) == (1, 100), name


def test_every_reversible_tool_has_an_undo_case() -> None:
    assert set(UNDO_CASES) - REVERSIBLE == set(), "undo cases for tools that are not (or no longer) reversible"
    assert REVERSIBLE - set(UNDO_CASES) == set(), "add an undo case for each new reversible tool"
    assert all(f"{cap.value}_undo" in REGISTRY for cap in TOOLSETS), "every capability has an undo tool"


async def test_every_reversible_tool_of_every_capability_is_undone_to_an_identical_state_hash(
    store: Store, backends: Backends
) -> None:
    async with mcp_session("all", backends) as s:
        prepared = {tool: await prepare(s) for tool, prepare in UNDO_CASES.items()}
        tables = store.table_hashes()
        before = store.state_hash()
        for tool, args in prepared.items():
            done = await call_ok(s, tool, args)
            assert done.get("undo_token"), f"{tool} returned no undo_token"
            undone = await call_ok(s, f"{CAPABILITY_OF[tool]}_undo", {"token": done["undo_token"]})
            assert undone["tool"] == tool.split("_", 1)[1] and undone["restored"], (tool, undone)
            assert store.state_hash() == before, f"undoing {tool} left {_differing(store, tables)} different"
