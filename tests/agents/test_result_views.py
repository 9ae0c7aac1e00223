"""Reads are validated once, at the toolbox, into small views: a server whose results lost a field the agent reads
fails with one clear error naming the tool and the field, and a guardrail that needed it denies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from helpers.guard import act, goal
from mcp.server.mcpserver import MCPServer

from cadencia.agents.actions import Decision
from cadencia.agents.facts_mcp import McpFacts
from cadencia.agents.guardrails import GuardrailEngine, RunView, default_policy
from cadencia.agents.mcp_client import memory_client
from cadencia.agents.mcp_tools import load_tools
from cadencia.agents.results import ToolResultError
from cadencia.agents.toolbox import Toolbox
from cadencia.agents.views import ProductRow, ProductView
from cadencia.tools.names import Inventory
from cadencia.tools.reversibility import Reversibility as Rv

PRODUCT = {"sku": "SERUM", "name": "Hydra Serum", "category": "skincare", "currency": "EUR"}


def _drifted_server() -> MCPServer:
    """A server whose product results renamed `price_minor` to `unit_price_minor` and lost `cost_minor` once."""
    server = MCPServer("drifted")

    @server.tool(name=Inventory.GET_PRODUCT.value)
    async def get_product(sku: str) -> dict[str, Any]:
        return PRODUCT | {"unit_price_minor": 3000, "list_price_minor": 3500, "cost_minor": 1000}

    @server.tool(name=Inventory.LIST_PRODUCTS.value)
    async def list_products(limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        full = PRODUCT | {"price_minor": 3000, "list_price_minor": 3500, "cost_minor": 1000}
        drifted = {k: v for k, v in full.items() if k != "cost_minor"} | {"sku": "CREAM"}
        return {"items": [full, drifted], "next_cursor": None}

    return server


@asynccontextmanager
async def _toolbox() -> AsyncIterator[Toolbox]:
    async with memory_client(_drifted_server()) as client:
        yield Toolbox.of(await load_tools(client))


async def test_a_result_missing_a_field_the_agent_reads_names_the_tool_and_the_field() -> None:
    async with _toolbox() as toolbox:
        with pytest.raises(ToolResultError) as raised:
            await toolbox.read_as(Inventory.GET_PRODUCT, {"sku": "SERUM"}, ProductView)
    error = raised.value
    assert (error.tool, error.field) == (Inventory.GET_PRODUCT, "price_minor")
    assert str(error).startswith("inventory_get_product returned a result whose field 'price_minor'")


async def test_a_paged_item_missing_a_field_is_named_by_its_position() -> None:
    async with _toolbox() as toolbox:
        with pytest.raises(ToolResultError, match=r"inventory_list_products .* 'items\[1\]\.cost_minor'"):
            await toolbox.read_pages_as(Inventory.LIST_PRODUCTS, None, ProductRow, max_items=10)


async def test_a_guardrail_whose_facts_no_longer_fit_denies_with_the_tool_and_field_named() -> None:
    async with _toolbox() as toolbox:
        run = RunView(goal=goal(), facts=McpFacts(toolbox), tools={Inventory.SET_PRICE.value: Rv.REVERSIBLE})
        below_cost = act(Inventory.SET_PRICE, sku="SERUM", price_minor=100, currency="EUR")
        result = await GuardrailEngine(default_policy()).assess(below_cost, run)
    floor = next(v for v in result.verdicts if v.rule == "price-floor")
    assert result.decision is Decision.DENY and floor.decision is Decision.DENY
    assert "inventory_get_product" in floor.reason and "price_minor" in floor.reason
