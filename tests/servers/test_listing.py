"""The tool listing stays lean: under its character budget, flat, one-line descriptions, every rule still there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.mcp import call_error, call_ok, mcp_session
from mcp.types import Tool

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server, full_registry
from cadencia.servers.context import Backends, Scope
from cadencia.servers.listing import LISTING_BUDGET, lean_input, listing_chars
from cadencia.servers.safety.setup import open_safety
from cadencia.tools.policy.server import default_server_policy

INBOX = {"approvals_list_pending", "approvals_answer"}


async def _listed(backends: Backends) -> list[Tool]:
    async with mcp_session("all", backends) as s:
        return (await s.list_tools()).tools


def _keywords(schema: Any) -> Iterator[str]:
    """Every schema keyword used (property names excluded), at any depth."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield key
            if key == "properties":
                for prop in value.values():
                    yield from _keywords(prop)
            else:
                yield from _keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _keywords(item)


async def _listed_with_policy(backends: Backends, root: Path, scopes: frozenset[Scope]) -> list[Tool]:
    """`tools/list` of `serve all` as shipped: the server policy on (which adds the approval inbox tools)."""
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        server = build_server(Capability.ALL, backends=backends, safety=safety, default_scopes=scopes)
        async with memory_client(server) as client:
            return (await client.list_tools()).tools


@pytest.mark.parametrize(
    ("scopes", "inbox"),
    [({"read", "write"}, False), ({"read", "write", "approve"}, True)],
    ids=["stdio caller", "approver"],
)
async def test_the_combined_listing_stays_under_its_character_budget(
    backends: Backends, tmp_path: Path, scopes: set[Scope], inbox: bool
) -> None:
    listed = await _listed_with_policy(backends, tmp_path, frozenset(scopes))
    assert len(listed) >= 57 and ({t.name for t in listed} >= INBOX) is inbox
    assert listing_chars(listed) < LISTING_BUDGET, "trim descriptions or schemas: every model reads this first"


async def test_rules_every_tool_shares_are_said_once_in_the_server_instructions(backends: Backends) -> None:
    """What the listing no longer repeats per argument (money units, id formats, undo tokens) a model still reads."""
    async with mcp_session("all", backends) as s:
        instructions = s.instructions or ""
        listed = (await s.list_tools()).tools
    for said_once in ("minor units (*_minor: 2990 = 29.90)", "CMP-ME000", "WH-MAD", "SEG-VIP", "undo_token"):
        assert said_once in instructions, said_once
        assert not any(said_once in json.dumps(t.input_schema) for t in listed), said_once


INBOX_BUDGET = 1_000
"""Characters the two inbox tools may add to an approver's listing (2,332 before they were shaped)."""


async def test_the_inbox_tools_are_published_as_leanly_as_the_others(backends: Backends, tmp_path: Path) -> None:
    listed = await _listed_with_policy(backends, tmp_path, frozenset({"read", "write", "approve"}))
    inbox = [t for t in listed if t.name in INBOX]
    assert len(inbox) == len(INBOX)
    assert listing_chars(inbox) < INBOX_BUDGET
    for tool in inbox:
        used = set(_keywords(tool.input_schema)) | set(_keywords(tool.output_schema))
        assert used.isdisjoint({"$defs", "$ref", "title", "allOf"}), tool.name
        assert tool.output_schema == {"type": "object"} and tool.title is None, tool.name
        assert tool.input_schema["additionalProperties"] is False, tool.name


async def test_the_approval_inbox_is_listed_only_to_callers_who_may_approve(backends: Backends, tmp_path: Path) -> None:
    plain = {t.name for t in await _listed_with_policy(backends, tmp_path, frozenset({"read", "write"}))}
    approver = {t.name for t in await _listed_with_policy(backends, tmp_path, frozenset({"read", "approve"}))}
    assert not plain & INBOX and approver >= INBOX
    assert plain - INBOX == approver - INBOX
    with open_safety(default_server_policy(), root=tmp_path, registry=full_registry()) as safety:
        server = build_server(Capability.ALL, backends=backends, safety=safety)
        async with memory_client(server) as client:
            refused = await call_error(client, "approvals_list_pending")
    assert "'approve' scope" in refused, "a tool left out of the listing is still refused by name if called"


async def test_published_schemas_are_flat_without_titles_refs_or_null_branches(backends: Backends) -> None:
    for tool in await _listed(backends):
        used = set(_keywords(tool.input_schema)) | set(_keywords(tool.output_schema))
        assert used.isdisjoint({"$defs", "$ref", "title", "allOf"}), tool.name
        assert {"type": "null"} not in list(_branches(tool.input_schema)), tool.name
        assert tool.output_schema == {"type": "object"}, tool.name
        assert tool.input_schema["type"] == "object" and tool.input_schema["additionalProperties"] is False, tool.name


def _branches(schema: Any) -> Iterator[Any]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "anyOf":
                yield from value
            yield from _branches(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _branches(item)


async def test_descriptions_are_one_line_and_say_when_to_use_the_tool(backends: Backends) -> None:
    listed = {t.name: t for t in await _listed(backends)}
    for name, tool in listed.items():
        text = tool.description or ""
        assert "\n" not in text and "  " not in text and 30 <= len(text) <= 220, name
    assert "schedule_promotion" in (listed["inventory_list_promotions"].description or "")
    assert "schedule_send" in (listed["crm_list_messages"].description or "")
    assert "creating another" in (listed["crm_list_segments"].description or "")


async def test_lean_input_schemas_keep_the_rules_a_caller_follows(backends: Backends) -> None:
    listed = {t.name: t for t in await _listed(backends)}
    price = listed["inventory_set_price"].input_schema
    assert price["required"] == ["sku", "price_minor", "currency"]
    assert price["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert price["properties"]["price_minor"] == {
        "exclusiveMinimum": 0,
        "maximum": 10_000_000,
        "type": "integer",
    }
    category = listed["inventory_list_products"].input_schema["properties"]["category"]
    assert category == {"enum": ["skincare", "makeup", "fragrance"]}
    rules = listed["crm_create_segment"].input_schema["properties"]["rules"]
    assert rules["additionalProperties"] is False and rules["properties"]["favorite_category"]["enum"]
    reply = listed["reviews_reply_to_review"].input_schema["properties"]["body"]
    assert (reply["minLength"], reply["maxLength"]) == (10, 1500)


def test_an_optional_model_argument_is_written_inline_once() -> None:
    schema = {
        "$defs": {"R": {"properties": {"n": {"title": "N", "type": "integer"}}, "title": "R", "type": "object"}},
        "properties": {"r": {"anyOf": [{"$ref": "#/$defs/R"}, {"type": "null"}], "default": None, "title": "R"}},
        "title": "fArguments",
        "type": "object",
    }
    assert lean_input(schema) == {
        "properties": {"r": {"properties": {"n": {"type": "integer"}}, "type": "object"}},
        "type": "object",
    }


async def test_the_gate_still_finds_reversibility_capability_and_untrusted_text_in_meta(backends: Backends) -> None:
    listed = {t.name: t for t in await _listed(backends)}
    meta = listed["reviews_list_reviews"].meta or {}
    assert meta["cadencia/reversibility"] == "read" and meta["cadencia/capability"] == "reviews"
    assert {"items[].customer_text.title", "items[].customer_text.body"} <= set(meta["cadencia/untrusted"])
    assert (listed["crm_send_now"].meta or {})["cadencia/reversibility"] == "irreversible"


async def test_results_still_satisfy_the_published_output_schema_and_carry_their_fields(backends: Backends) -> None:
    async with mcp_session("all", backends) as s:
        page = await call_ok(s, "inventory_list_products", {"limit": 2})
    assert set(page) == {"items", "next_cursor", "total"} and len(page["items"]) == 2


async def test_results_read_as_compact_json_of_the_structured_content(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        result = await s.call_tool("get_product", {"sku": "ML-000001"})
    text = result.content[0].text  # type: ignore[union-attr]
    assert "\n" not in text and ": " not in text.split('"description"')[0]
    assert json.loads(text) == result.structured_content
