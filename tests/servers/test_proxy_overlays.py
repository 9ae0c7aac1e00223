"""The shipped overlays: the JSON Schema is the model's, Cadencia's own overlay matches its registry, and the proxy in
front of `serve all` decides exactly as the direct server does."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import Tool as McpTool

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server, full_registry
from cadencia.servers.context import Backends
from cadencia.servers.proxy.journal import UndoJournal
from cadencia.servers.proxy.overlay import load_overlay, overlay_schema
from cadencia.servers.proxy.server import build_proxy, check_fit
from cadencia.servers.proxy.upstream import UpstreamSpec, connect
from cadencia.servers.safety.setup import approvals_url, open_safety
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools import untrusted
from cadencia.tools.limits import Limits
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.store.store import Store

OVERLAYS = Path(__file__).parents[2] / "overlays"


def test_published_json_schema_is_the_models() -> None:
    assert (OVERLAYS / "overlay.schema.json").read_text(encoding="utf-8") == overlay_schema(), (
        "regenerate: python -c 'from cadencia.servers.proxy.overlay import overlay_schema; "
        'open("overlays/overlay.schema.json", "w").write(overlay_schema())\''
    )


@pytest.mark.parametrize("path", sorted(OVERLAYS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_overlay_validates_and_cites_its_source(path: Path) -> None:
    overlay = load_overlay(path)
    assert overlay.source and overlay.tools


async def test_cadencia_overlay_names_every_tool_of_serve_all_with_its_class_and_untrusted_paths(
    backends: Backends,
) -> None:
    overlay = load_overlay(OVERLAYS / "cadencia.yaml")
    published = {
        t.name: (t.meta or {}).get(untrusted.META_KEY)
        for t in await build_server(Capability.ALL, backends=backends).list_tools()
    }
    declared = {t.match: (t.reversibility, t.acts_as, t.untrusted) for t in overlay.tools}
    expected = {n: (r, None if not r.mutates else n, published[n]) for n, r in full_registry().items()}
    assert declared == expected


@asynccontextmanager
async def direct(store: Store, root: Path) -> AsyncIterator[Client]:
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        server = build_server(Capability.ALL, backends=sandbox_backends(store, Limits()), safety=safety)
        async with memory_client(server) as client:
            yield client


@asynccontextmanager
async def proxied(store: Store, root: Path) -> AsyncIterator[Client]:
    overlay = load_overlay(OVERLAYS / "cadencia.yaml")
    upstream_server = build_server(Capability.ALL, backends=sandbox_backends(store, Limits()))
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        journal = UndoJournal.open(approvals_url(root))
        try:
            async with connect(UpstreamSpec(server=upstream_server)) as upstream:
                tools = await upstream.tools()
                check_fit(overlay, tools)
                proxy = build_proxy(upstream, tools, overlay, safety=safety, journal=journal)
                async with memory_client(proxy) as client:
                    yield client
        finally:
            journal.close()


CALLS: list[tuple[str, dict[str, Any]]] = [
    (
        "ads_set_budget",
        {"campaign_id": "CMP-GO000", "daily_budget_minor": 22000, "currency": "EUR", "expected_current_minor": 20000},
    ),
    (
        "ads_set_budget",
        {"campaign_id": "CMP-GO000", "daily_budget_minor": 60000, "currency": "EUR", "expected_current_minor": 20000},
    ),
    ("ads_pause_campaign", {"campaign_id": "CMP-GO001"}),
    ("inventory_set_price", {"sku": "ML-000001", "price_minor": 900, "currency": "EUR"}),
    ("inventory_set_price", {"sku": "ML-000001", "price_minor": 2500, "currency": "EUR"}),
    ("inventory_set_price", {"sku": "ML-000002", "price_minor": 10, "currency": "EUR"}),
    (
        "inventory_schedule_promotion",
        {"sku": "ML-000003", "discount_pct": 35, "label": "Spring", "starts_on": "2026-03-03", "ends_on": "2026-03-06"},
    ),
    ("crm_send_now", {"message_id": "MSG-000000", "segment_id": "SEG-LAPSED"}),
    (
        "crm_draft_message",
        {
            "channel": "email",
            "subject": "Hi",
            "body": "Write to ana@example.com",
            "ai_generated": False,
            "claim_ids": [],
        },
    ),
    ("crm_suppress_contact", {"contact_id": "C-000001", "reason": "asked"}),
    ("ads_get_campaign", {"campaign_id": "CMP-GO000"}),
    ("ads_get_campaign", {"campaign_id": "CMP-NOPE"}),
]


def outcome(result: Any) -> str:
    """ok, or the error text with approval ids and call refs made comparable."""
    if not result.is_error:
        return "ok"
    text = "\n".join(c.text for c in result.content if hasattr(c, "text"))
    return re.sub(r"srv-[0-9a-f]+", "srv-ID", text)


async def test_proxied_cadencia_decides_as_the_direct_server(seeded_sqlite_template: Path, tmp_path: Path) -> None:
    outcomes: dict[str, list[str]] = {}
    for side, open_client in (("direct", direct), ("proxied", proxied)):
        shutil.copyfile(seeded_sqlite_template, tmp_path / f"{side}.db")
        store = Store.open(tmp_path / f"{side}.db")
        try:
            async with open_client(store, tmp_path / side) as client:
                outcomes[side] = [outcome(await client.call_tool(tool, args)) for tool, args in CALLS]
        finally:
            store.close()
    assert outcomes["proxied"] == outcomes["direct"]
    kinds = {o.split(" ")[0].split(":")[0] for o in outcomes["direct"]}
    assert {"ok", "approval", "[policy_violation]"} <= kinds, outcomes["direct"]


PUBLISHED = {
    "klaviyo.yaml": [
        "get_account_details",
        "get_campaigns",
        "get_campaign",
        "create_campaign",
        "send_campaign",
        "get_campaign_report",
        "get_flows",
        "get_flow_report",
        "query_metric_aggregates",
        "get_profiles",
        "create_or_update_profile",
        "subscribe_profile_to_marketing",
        "get_segments",
        "create_segment",
    ],
    "hubspot.yaml": [
        "get_user_details",
        "get_organization_details",
        "discover_hubspot_schema",
        "search_crm_objects",
        "get_crm_objects",
        "manage_crm_objects",
        "manage_segment",
        "query_crm_data",
        "search_properties",
    ],
}
"""The tool names each vendor overlay's cited source lists (read 2026-12-01)."""


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_vendor_overlay_fits_its_published_tool_list_and_sends_ask_a_person(name: str) -> None:
    overlay = load_overlay(OVERLAYS / name)
    listed = [McpTool(name=n, input_schema={"type": "object"}) for n in [*PUBLISHED[name], "added_later_by_vendor"]]
    check_fit(overlay, listed)
    classes = {t.name: (overlay.entry(t.name) or None) for t in listed}
    assert classes["added_later_by_vendor"] is None  # unnamed: irreversible, asks
    auto = default_server_policy().autonomy.auto_approve
    mutating = {n: e.reversibility for n, e in classes.items() if e is not None and e.reversibility.mutates}
    assert mutating and not set(mutating.values()) & set(auto), mutating  # every write asks under the default
