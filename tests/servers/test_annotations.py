"""Every tool's MCP hints, pinned in one table: a change to what a client is told about a tool is a reviewed diff.

Letters: R readOnlyHint, D destructiveHint (overwrites or deletes state, reversible or not: the spec's false means
"only additive updates"; sends that cannot be taken back count as destructive too), I idempotentHint (a read, an
absolute write, or an idempotency key that makes a retry a no-op), O openWorldHint (reaches people or systems
outside). Reversibility is not a hint: it is in `_meta`.
"""

from __future__ import annotations

from helpers.mcp import mcp_session

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends
from cadencia.tools.reversibility import META_KEY, Reversibility

HINTS = {
    "inventory_list_products": "RI",
    "inventory_get_product": "RI",
    "inventory_get_stock": "RI",
    "inventory_forecast_demand": "RI",
    "inventory_list_forecasts": "RI",
    "inventory_sales_report": "RI",
    "inventory_adjust_stock": "DI",
    "inventory_set_price": "DI",
    "inventory_list_promotions": "RI",
    "inventory_schedule_promotion": "I",
    "inventory_end_promotion": "DI",
    "inventory_update_product_content": "DI",
    "inventory_list_purchase_orders": "RI",
    "inventory_create_purchase_order": "I",
    "inventory_confirm_purchase_order": "DIO",
    "inventory_cancel_purchase_order": "DI",
    "inventory_undo": "DI",
    "ads_list_campaigns": "RI",
    "ads_get_campaign": "RI",
    "ads_get_budget_limits": "RI",
    "ads_get_performance": "RI",
    "ads_set_budget": "DI",
    "ads_pause_campaign": "DI",
    "ads_resume_campaign": "DI",
    "ads_create_campaign": "I",
    "ads_launch_campaign": "DIO",
    "ads_list_claims": "RI",
    "ads_list_creatives": "RI",
    "ads_create_creative": "I",
    "ads_list_experiments": "RI",
    "ads_start_experiment": "I",
    "ads_get_experiment": "RI",
    "ads_undo": "DI",
    "reviews_list_reviews": "RI",
    "reviews_get_review": "RI",
    "reviews_review_summary": "RI",
    "reviews_list_claims": "RI",
    "reviews_reply_to_review": "DIO",
    "reviews_flag_review": "DI",
    "reviews_unflag_review": "DI",
    "reviews_check_review_request_eligibility": "RI",
    "reviews_request_reviews": "DIO",
    "reviews_list_review_requests": "RI",
    "reviews_undo": "DI",
    "crm_find_contacts": "RI",
    "crm_get_contact": "RI",
    "crm_suppress_contact": "DI",
    "crm_list_segments": "RI",
    "crm_create_segment": "I",
    "crm_estimate_segment": "RI",
    "crm_draft_message": "I",
    "crm_list_messages": "RI",
    "crm_list_sends": "RI",
    "crm_schedule_send": "I",
    "crm_cancel_send": "DI",
    "crm_send_now": "DIO",
    "crm_undo": "DI",
}


def _letters(tool: object) -> str:
    a = tool.annotations  # type: ignore[attr-defined]
    hints = (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)
    return "".join(letter for letter, on in zip("RDIO", hints, strict=True) if on)


async def test_every_tool_publishes_exactly_the_hints_in_the_table(backends: Backends) -> None:
    async with mcp_session(Capability.ALL, backends) as client:
        listed = (await client.list_tools()).tools
    assert {t.name: _letters(t) for t in listed} == HINTS
    for tool in listed:
        a = tool.annotations
        assert a is not None and a.title == tool.title
        every_hint_set = None not in (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)
        assert every_hint_set, tool.name


async def test_overwriting_tools_are_destructive_even_when_reversible(backends: Backends) -> None:
    async with mcp_session(Capability.ALL, backends) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    for name in (
        "inventory_set_price",
        "ads_set_budget",
        "ads_pause_campaign",
        "ads_resume_campaign",
        "inventory_end_promotion",
        "crm_cancel_send",
        "inventory_cancel_purchase_order",
    ):
        tool = listed[name]
        assert tool.meta and tool.meta[META_KEY] == Reversibility.REVERSIBLE.value, name
        assert tool.annotations and tool.annotations.destructive_hint is True, name
    assert listed["crm_suppress_contact"].annotations.destructive_hint is True  # type: ignore[union-attr]


async def test_a_capability_served_by_a_vendor_marks_all_its_tools_open_world(backends: Backends) -> None:
    server = build_server(Capability.ALL, backends=backends, vendor_capabilities=frozenset({"inventory"}))
    async with memory_client(server) as client:
        listed = (await client.list_tools()).tools
    for tool in listed:
        expected = tool.name.startswith("inventory_") or "O" in HINTS[tool.name]
        assert tool.annotations and tool.annotations.open_world_hint is expected, tool.name
