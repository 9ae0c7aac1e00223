"""Cadencia as a guardrail proxy in front of a vendor's MCP server: the overlay's amounts and audiences reach the
server policy (caps, thresholds, floors, approvals), unnamed tools ask a person, undo replays with a stale check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers.mcp import call_error, call_ok
from mcp import Client
from mcp.types import ElicitRequestParams, ElicitResult
from sqlalchemy.exc import OperationalError
from vendor_fakes.fake_vendor_mcp import VendorState, build_vendor

from cadencia.servers.proxy.journal import UndoEntry, UndoJournal, UndoState, UpstreamCall
from cadencia.servers.proxy.overlay import Overlay, OverlayError
from cadencia.servers.proxy.server import build_proxy, check_fit
from cadencia.servers.proxy.upstream import UpstreamSpec, connect
from cadencia.servers.safety.cli import answer_server_approval
from cadencia.servers.safety.setup import approvals_url, open_safety
from cadencia.tools.audit import KEY_FILENAME, AuditLog
from cadencia.tools.policy.server import ServerPolicy, default_server_policy
from cadencia.tools.yamlmodel import load_yaml_model

OVERLAY = """
version: 1
name: fake-vendor
source: tests/vendor_fakes/fake_vendor_mcp.py
prefix: vend_
tools:
  - match: "get_*"
    reversibility: read
  - match: update_campaign_budget
    reversibility: reversible
    money: {target: campaign_id, amount: {path: amount_micros, unit: micros, currency: USD}}
    undo:
      read: {tool: get_campaign, args: {campaign_id: $args.campaign_id}}
      capture: [budget.amount_micros]
      inverse:
        tool: update_campaign_budget
        args: {campaign_id: $args.campaign_id, amount_micros: $before.budget.amount_micros}
  - match: update_product_price
    reversibility: reversible
    price: {target: product_id, amount: {path: price, unit: major, currency: USD}}
    undo:
      read: {tool: get_product, args: {product_id: $args.product_id}}
      capture: [price]
      inverse: {tool: update_product_price, args: {product_id: $args.product_id, price: $before.price}}
  - match: send_email
    reversibility: irreversible
    contacts: {path: recipients, channel: email}
    text: [subject, body]
facts:
  campaign:
    tool: get_campaign
    args: {campaign_id: $id}
    fields:
      id: id
      platform: {value: google}
      status: {value: active}
      daily_budget_minor: {path: budget.amount_micros, unit: micros, currency: USD}
      currency: budget.currency_code
  product:
    tool: get_product
    args: {product_id: $id}
    fields:
      sku: id
      price_minor: {path: price, unit: major, currency: USD}
      list_price_minor: {path: price, unit: major, currency: USD}
      cost_minor: {path: cost, unit: major, currency: USD}
      currency: {value: USD}
"""


def overlay(text: str = OVERLAY) -> Overlay:
    return load_yaml_model(Overlay, text, source="test overlay", error=OverlayError)


def approval_id_in(text: str) -> str:
    assert "approval required: " in text, text
    return text.split("approval required: ", 1)[1].split(" ", 1)[0]


@asynccontextmanager
async def proxied(
    root: Path,
    state: VendorState,
    policy: ServerPolicy | None = None,
    *,
    ov: Overlay | None = None,
    mode: str = "auto",
    person: Any = None,
) -> AsyncIterator[Client]:
    """An in-memory client of the proxy, in front of an in-memory fake vendor over `state`."""
    ov = ov or overlay()
    with open_safety(policy or default_server_policy(), root=root, registry={}) as safety:
        journal = UndoJournal.open(approvals_url(root))
        try:
            async with connect(UpstreamSpec(server=build_vendor(state))) as upstream:
                tools = await upstream.tools()
                check_fit(ov, tools)
                server = build_proxy(upstream, tools, ov, safety=safety, journal=journal)
                async with Client(server, mode=mode, cache=None, elicitation_callback=person) as client:
                    yield client
        finally:
            journal.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "workdir"


async def test_listing_prefixes_upstream_tools_and_publishes_the_overlay_class(root: Path) -> None:
    async with proxied(root, VendorState()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"vend_get_campaign", "vend_update_campaign_budget", "vend_delete_all_campaigns", "undo"} <= set(tools)
    assert tools["vend_update_campaign_budget"].meta["cadencia/reversibility"] == "reversible"  # type: ignore[index]
    assert tools["vend_delete_all_campaigns"].meta["cadencia/reversibility"] == "irreversible"  # type: ignore[index]
    assert "approval_id" in tools["vend_send_email"].input_schema["properties"]
    assert tools["vend_get_campaign"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert "approvals_answer" not in tools  # the inbox is listed to approvers only, as on `serve`


async def test_budget_raise_within_threshold_runs_and_returns_an_undo_token(root: Path) -> None:
    state = VendorState()
    async with proxied(root, state) as client:
        done = await call_ok(
            client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 120_000_000}
        )
    assert done["undo_token"].startswith("pundo-")
    assert state.budgets_micros["cmp-1"] == 120_000_000


async def test_budget_raise_beyond_threshold_needs_approval_then_runs_once(root: Path) -> None:
    state = VendorState()
    args: dict[str, Any] = {"campaign_id": "cmp-1", "amount_micros": 200_000_000}
    async with proxied(root, state) as client:
        text = await call_error(client, "vend_update_campaign_budget", args)
        assert "thresholds" in text and "rise by 100 %" in text
        assert state.budgets_micros["cmp-1"] == 100_000_000
        approval = approval_id_in(text)
        answer_server_approval(approval, approve=True, approver="test", note="", root=root)
        await call_ok(client, "vend_update_campaign_budget", {**args, "approval_id": approval})
    assert state.budgets_micros["cmp-1"] == 200_000_000


async def test_daily_spend_cap_counts_micros_as_minor_units(root: Path) -> None:
    """Cap 100.00 USD a day: +40 USD and +20 USD run (micros → cents), the next +50 USD is refused."""
    base = default_server_policy()
    policy = base.model_copy(update={"budgets": base.budgets.model_copy(update={"spend_moved_minor": 10_000})})
    state = VendorState()
    async with proxied(root, state, policy) as client:
        await call_ok(client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 140_000_000})
        await call_ok(client, "vend_update_campaign_budget", {"campaign_id": "cmp-2", "amount_micros": 70_000_000})
        text = await call_error(
            client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 190_000_000}
        )
    assert "budget" in text and "spend_moved_minor" in text
    assert state.budgets_micros == {"cmp-1": 140_000_000, "cmp-2": 70_000_000}


async def test_price_below_the_floor_from_the_vendors_cost_is_denied(root: Path) -> None:
    """Cost 8.00 and a 15 % margin floor: 9.00 is refused; 18.00 (a 10 % cut) runs."""
    state = VendorState()
    async with proxied(root, state) as client:
        text = await call_error(client, "vend_update_product_price", {"product_id": "prod-1", "price": "9.00"})
        assert "price-floor" in text
        assert state.prices["prod-1"] == "19.99"
        await call_ok(client, "vend_update_product_price", {"product_id": "prod-1", "price": "18.00"})
    assert state.prices["prod-1"] == "18.00"


async def test_unnamed_tool_is_irreversible_and_needs_approval(root: Path) -> None:
    state = VendorState()
    async with proxied(root, state) as client:
        text = await call_error(client, "vend_delete_all_campaigns")
    assert "approval required" in text and "not in the trusted" in text
    assert not state.wiped


async def test_send_reaches_pii_and_reach_checks_through_the_overlay(root: Path) -> None:
    state = VendorState()
    leaky = {"recipients": ["a@x.com", "b@x.com"], "subject": "Hi", "body": "Call Ana at ana.perez@example.com"}
    many = {"recipients": [f"c{i}@x.com" for i in range(501)], "subject": "Hi", "body": "Spring is here."}
    async with proxied(root, state) as client:
        assert "pii" in (await call_error(client, "vend_send_email", leaky)).lower()
        text = await call_error(client, "vend_send_email", many)
    assert "reaches 501 contacts" in text
    assert state.sent == []


async def test_undo_replays_the_inverse_and_reads_back_the_before_image(root: Path) -> None:
    state = VendorState()
    async with proxied(root, state) as client:
        done = await call_ok(
            client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 110_000_000}
        )
        undone = await call_ok(client, "undo", {"undo_token": done["undo_token"]})
        assert undone["restored"] is True and undone["now"] == {"budget.amount_micros": 100_000_000}
        assert state.budgets_micros["cmp-1"] == 100_000_000
        twice = await call_error(client, "undo", {"undo_token": done["undo_token"]})
    assert "undone" in twice


async def test_undo_is_refused_when_the_upstream_changed_since(root: Path) -> None:
    state = VendorState()
    async with proxied(root, state) as client:
        done = await call_ok(client, "vend_update_product_price", {"product_id": "prod-2", "price": "42.00"})
        state.prices["prod-2"] = "39.00"  # someone else changed it in the vendor's own UI
        text = await call_error(client, "undo", {"undo_token": done["undo_token"]})
    assert "changed since" in text and '"39.00"' in text
    assert state.prices["prod-2"] == "39.00"


async def test_upstream_errors_pass_through_as_tool_errors(root: Path) -> None:
    async with proxied(root, VendorState()) as client:
        read = await call_error(client, "vend_get_campaign", {"campaign_id": "nope"})
        write = await call_error(client, "vend_update_product_price", {"product_id": "prod-1", "price": "1500.00"})
    assert "CAMPAIGN_NOT_FOUND: nope" in read
    assert "PRICE_TOO_HIGH" in write


async def test_every_write_is_audited_with_the_proxied_tool_name(root: Path) -> None:
    async with proxied(root, VendorState()) as client:
        await call_ok(client, "vend_update_campaign_budget", {"campaign_id": "cmp-2", "amount_micros": 55_000_000})
        await call_error(client, "vend_delete_all_campaigns")
    log = AuditLog.open(root / "audit.db", key_path=root / KEY_FILENAME)
    try:
        tools = [(r.kind.value, r.payload.get("tool")) for r in log.iter_records() if isinstance(r.payload, dict)]
    finally:
        log.close()
    assert ("execution", "vend_update_campaign_budget") in tools
    assert ("verdict", "vend_delete_all_campaigns") in tools


def executions(root: Path) -> list[dict[str, Any]]:
    """The payloads of the audit log's execution records, oldest first."""
    log = AuditLog.open(root / "audit.db", key_path=root / KEY_FILENAME)
    try:
        return [r.payload for r in log.iter_records() if r.kind.value == "execution" and isinstance(r.payload, dict)]
    finally:
        log.close()


async def test_the_undo_token_of_a_proxied_call_is_audited_in_the_records_field(root: Path) -> None:
    async with proxied(root, VendorState()) as client:
        done = await call_ok(
            client, "vend_update_campaign_budget", {"campaign_id": "cmp-2", "amount_micros": 55_000_000}
        )
        await call_ok(client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 99_000_000})
    first, second = executions(root)
    assert first["undo_token"] == done["undo_token"] and first["undo_token"].startswith("pundo-")
    assert second["undo_token"] not in (None, first["undo_token"])


async def test_a_proxied_call_without_a_journaled_inverse_is_audited_without_an_undo_token(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: UndoJournal, entry: UndoEntry) -> None:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(UndoJournal, "record", broken)
    async with proxied(root, VendorState()) as client:
        await call_ok(client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 105_000_000})
    (record,) = executions(root)
    assert record["tool"] == "vend_update_campaign_budget" and record["undo_token"] is None


def test_an_overlay_naming_a_tool_the_upstream_lacks_is_an_error_at_start() -> None:
    from mcp.types import Tool

    listed = [Tool(name="get_campaign", input_schema={"type": "object"})]
    with pytest.raises(OverlayError, match="update_campaign_budget"):
        check_fit(overlay(), listed)


def test_overlay_validation_names_the_field_and_rule() -> None:
    bad = OVERLAY.replace("unit: micros", "unit: cents", 1)
    with pytest.raises(OverlayError, match=r"tools\.1\.money\.amount\.unit"):
        overlay(bad)


async def test_arguments_the_upstream_schema_rejects_never_reach_policy_or_upstream(root: Path) -> None:
    state = VendorState()
    async with proxied(root, state) as client:
        text = await call_error(client, "vend_update_campaign_budget", {"campaign_id": "cmp-1"})
        typed = await call_error(client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": "x"})
    assert "amount_micros" in text and "schema.required" in text
    assert "amount_micros" in typed and "schema.type" in typed
    assert state.budgets_micros["cmp-1"] == 100_000_000


def test_an_undo_token_is_claimed_once(root: Path) -> None:
    """Two undos racing for one token: the compare-and-set lets exactly one through."""
    root.mkdir(parents=True)
    journal = UndoJournal.open(root / "journal.db")
    try:
        call = UpstreamCall("get_campaign", {"campaign_id": "cmp-1"})
        journal.record(
            UndoEntry(
                token="pundo-x", subject="local", tool="t", read=call, inverse=call, capture=[], before={}, after={}
            )
        )
        first = journal.move("pundo-x", from_state=UndoState.OPEN, to_state=UndoState.UNDOING)
        second = journal.move("pundo-x", from_state=UndoState.OPEN, to_state=UndoState.UNDOING)
    finally:
        journal.close()
    assert (first, second) == (True, False)


async def test_a_call_that_ran_is_reported_as_run_when_the_undo_journal_fails(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: UndoJournal, entry: UndoEntry) -> None:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(UndoJournal, "record", broken)
    state = VendorState()
    async with proxied(root, state) as client:
        result = await client.call_tool(
            "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 105_000_000}
        )
    assert not result.is_error and "undo_token" not in (result.structured_content or {})
    assert "no undo token" in result.content[-1].text  # type: ignore[union-attr]
    assert state.budgets_micros["cmp-1"] == 105_000_000


class Person:
    """The client's elicitation callback: answers every form with `action` and remembers what it was shown."""

    def __init__(self, action: str) -> None:
        self.action, self.shown = action, list[str]()

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.shown.append(params.message)
        return ElicitResult(action=self.action, content={"note": "ok"} if self.action == "accept" else None)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_the_callers_person_is_asked_in_the_client_and_accepting_runs_the_call_once(
    root: Path, mode: str
) -> None:
    state, person = VendorState(), Person("accept")
    async with proxied(root, state, mode=mode, person=person) as client:
        await call_ok(client, "vend_delete_all_campaigns")
    assert state.wiped
    assert len(person.shown) == 1 and "vend_delete_all_campaigns" in person.shown[0]


async def test_declining_the_form_refuses_the_proxied_call(root: Path) -> None:
    state = VendorState()
    async with proxied(root, state, person=Person("decline")) as client:
        text = await call_error(client, "vend_delete_all_campaigns")
    assert "declined" in text and not state.wiped
