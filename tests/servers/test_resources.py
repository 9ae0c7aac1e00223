"""Resource templates (`cadencia://…`): listed on both protocol eras, read as the tools read the same data, bad
parameters refused naming the field, and the safety layer's approvals, run report and audit proofs readable."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers.mcp import call_error, call_ok
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server, full_registry
from cadencia.servers.context import Backends, Scope
from cadencia.servers.safety.setup import open_safety
from cadencia.tools.audit import check_inclusion
from cadencia.tools.audit.proofs import InclusionProof
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.store.store import Store

TEMPLATES = {
    "cadencia://claims{?category}",
    "cadencia://policy/{name}",
    "cadencia://forecast/{sku}",
    "cadencia://campaigns/{campaign_id}/performance",
    "cadencia://approvals/pending{?tool}",
    "cadencia://runs/{run_id}/report",
    "cadencia://audit/{seq}/proof",
}
REPLY = "Thank you for your review, we are glad the texture suits you."


async def read(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    assert result.contents[0].mime_type == "application/json"
    return json.loads(result.contents[0].text)  # type: ignore[union-attr]


async def refused(client: Client, uri: str) -> MCPError:
    with pytest.raises(MCPError) as caught:
        await client.read_resource(uri)
    assert caught.value.error.code == INVALID_PARAMS, caught.value.error
    return caught.value


@asynccontextmanager
async def with_policy(
    backends: Backends, root: Path, scopes: frozenset[Scope] = frozenset({"read", "write"})
) -> AsyncIterator[Client]:
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        server = build_server(Capability.ALL, backends=backends, safety=safety, default_scopes=scopes)
        async with memory_client(server) as client:
            yield client


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_every_template_is_listed_on_both_eras(backends: Backends, mode: str) -> None:
    async with memory_client(build_server(Capability.INVENTORY, backends=backends), mode=mode) as client:
        listed = (await client.list_resource_templates()).resource_templates
        forecast = await read(client, "cadencia://forecast/ML-000001")
    assert {t.uri_template for t in listed} == TEMPLATES
    assert all(t.mime_type == "application/json" and t.description for t in listed)
    assert forecast["sku"] == "ML-000001"


async def test_resources_read_what_the_tools_read(backends: Backends) -> None:
    async with memory_client(build_server(Capability.ALL, backends=backends)) as client:
        campaign = (await call_ok(client, "ads_list_campaigns", {"limit": 1}))["items"][0]["id"]
        tool_forecast = await call_ok(client, "inventory_forecast_demand", {"sku": "ML-000002"})
        tool_performance = await call_ok(client, "ads_get_performance", {"campaign_id": campaign})
        tool_limits = await call_ok(client, "ads_get_budget_limits")
        all_claims = await read(client, "cadencia://claims")
        safety_claims = await read(client, "cadencia://claims?category=safety")
        assert await read(client, "cadencia://forecast/ML-000002") == tool_forecast
        assert await read(client, f"cadencia://campaigns/{campaign}/performance") == tool_performance
        assert await read(client, "cadencia://policy/budget") == tool_limits
    assert all_claims["complete"] and all(c["approved"] for c in all_claims["items"])
    assert safety_claims["items"] and {c["category"] for c in safety_claims["items"]} == {"safety"}
    assert len(safety_claims["items"]) < len(all_claims["items"])


async def test_a_bad_parameter_is_invalid_params_naming_the_field(backends: Backends) -> None:
    async with memory_client(build_server(Capability.ALL, backends=backends)) as client:
        sku = await refused(client, "cadencia://forecast/NOPE")
        campaign = await refused(client, "cadencia://campaigns/NOPE/performance")
        name = await refused(client, "cadencia://policy/secrets")
        no_policy = await refused(client, "cadencia://approvals/pending")
        no_log = await refused(client, "cadencia://audit/1/proof")
    assert "No SKU 'NOPE'" in sku.error.message and sku.error.data == {"field": "sku"}
    assert campaign.error.data == {"field": "campaign_id"}
    assert "cadencia://policy/budget" in name.error.message and name.error.data == {"field": "name"}
    assert "without a server policy" in no_policy.error.message
    assert "no audit log" in no_log.error.message


async def test_approvals_run_report_and_audit_proof_come_from_the_safety_layer(
    backends: Backends, store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "workdir"
    async with with_policy(backends, root) as client:
        review = (await call_ok(client, "reviews_list_reviews", {"limit": 1}))["items"][0]["id"]
        asked = await call_error(client, "reviews_reply_to_review", {"review_id": review, "body": REPLY})
        await call_ok(client, "inventory_set_price", {"sku": "ML-000001", "price_minor": 3100, "currency": "EUR"})
        without_scope = await refused(client, "cadencia://approvals/pending")
        server_policy = await read(client, "cadencia://policy/server")
        report = await read(client, "cadencia://runs/mcp:local/report")
        proof = await read(client, "cadencia://audit/1/proof")
        beyond = await refused(client, f"cadencia://audit/{report['records'] + 5}/proof")
        unknown_run = await refused(client, "cadencia://runs/nobody/report")
    async with with_policy(backends, root, frozenset({"read", "approve"})) as approver:
        pending = await read(approver, "cadencia://approvals/pending")
        other_tool = await read(approver, "cadencia://approvals/pending?tool=inventory_set_price")
    approval_id = asked.split("approval required: ", 1)[1].split(" ", 1)[0]
    assert "'approve' scope" in without_scope.error.message
    assert [p["approval_id"] for p in pending["items"]] == [approval_id]
    assert pending["items"][0]["tool"] == "reviews_reply_to_review" and other_tool["items"] == []
    assert server_policy["version"] == 1 and server_policy["rules"]
    assert report["tools"]["inventory_set_price"] >= 1 and "execution" in report["by_kind"]
    assert check_inclusion(InclusionProof.model_validate(proof)) and proof["seq"] == 1
    assert beyond.error.data == {"field": "seq"} and unknown_run.error.data == {"field": "run_id"}
