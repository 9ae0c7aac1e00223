"""CRM tools over an in-memory MCP session: contacts, suppression, segments and message drafts."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.mcp import call_error, call_ok, mcp_session
from pydantic import BaseModel
from sqlalchemy import select

from cadencia.agents.actions import ExecutedAction
from cadencia.agents.connect import inprocess_toolbox
from cadencia.agents.executions import RunExecutions
from cadencia.agents.rollback import RollbackStatus, rollback
from cadencia.servers.context import Backends
from cadencia.tools.audit import AuditLog
from cadencia.tools.crm.tables import contacts
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.mutation import Mutation
from cadencia.tools.store.store import Store

MASKED_EMAIL = re.compile(r"^\w\*\*\*@example\.com$")
PII = frozenset({"read", "write", "pii"})
EMAIL_DRAFT = {
    "channel": "email",
    "subject": "Spring",
    "body": "Hello {{first_name}}",
    "claim_ids": [],
    "ai_generated": True,
}


def _raw_contact(store: Store, contact_id: str) -> dict[str, object]:
    with store.reading() as conn:
        return dict(conn.execute(select(contacts).where(contacts.c.id == contact_id)).mappings().one())


# -- contacts ---------------------------------------------------------------------------------------------------


async def test_find_contacts_masks_pii_by_default(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        page = await call_ok(s, "find_contacts", {"limit": 5})
    assert len(page["items"]) == 5
    for item in page["items"]:
        raw = _raw_contact(store, item["id"])
        assert item["pii_masked"] is True
        assert MASKED_EMAIL.match(item["email"]), item["email"]
        assert item["email"] != raw["email"]
        assert item["last_name"] == f"{str(raw['last_name'])[0]}."
        assert "******" in item["phone"] and item["phone"][-2:] == str(raw["phone"])[-2:]


async def test_find_contacts_reveals_pii_only_with_the_pii_scope(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends, scopes=PII) as s:
        page = await call_ok(s, "find_contacts", {"limit": 3})
    for item in page["items"]:
        raw = _raw_contact(store, item["id"])
        assert item["pii_masked"] is False
        assert (item["email"], item["phone"], item["last_name"]) == (raw["email"], raw["phone"], raw["last_name"])


async def test_find_contacts_pages_without_overlap_and_bounds_the_limit(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        first = await call_ok(s, "find_contacts", {"limit": 4})
        second = await call_ok(s, "find_contacts", {"limit": 4, "cursor": first["next_cursor"]})
        too_big = await call_error(s, "find_contacts", {"limit": 101})
        bad_cursor = await call_error(s, "find_contacts", {"cursor": "not-a-cursor"})
    assert {c["id"] for c in first["items"]}.isdisjoint({c["id"] for c in second["items"]})
    assert "limit" in too_big
    assert "cursor" in bad_cursor


async def test_find_contacts_filters_by_consent_country_and_segment(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        sms = await call_ok(s, "find_contacts", {"consent_channel": "sms", "country": "ES", "limit": 50})
        vip = await call_ok(s, "find_contacts", {"segment_id": "SEG-VIP", "limit": 50})
        missing = await call_error(s, "find_contacts", {"segment_id": "SEG-NOPE"})
        bad_country = await call_error(s, "find_contacts", {"country": "spain"})
    assert sms["items"] and all(c["consent"]["sms"] == "granted" and c["country"] == "ES" for c in sms["items"])
    assert vip["items"] and all(c["orders_count"] >= 5 for c in vip["items"])
    assert "No segment 'SEG-NOPE'" in missing and "list_segments" in missing
    assert "country" in bad_country


async def test_masked_callers_can_search_only_what_they_can_see(store: Store, backends: Backends) -> None:
    raw = _raw_contact(store, "C-0000007")
    async with mcp_session("crm", backends) as s:
        by_email = await call_ok(s, "find_contacts", {"query": raw["email"]})
        by_full_name = await call_ok(s, "find_contacts", {"query": f"{raw['first_name']} {raw['last_name']}"})
        by_first = await call_ok(s, "find_contacts", {"query": raw["first_name"], "limit": 100})
    async with mcp_session("crm", backends, scopes=PII) as s:
        revealed = await call_ok(s, "find_contacts", {"query": raw["email"]})
    assert by_email["items"] == [] and by_full_name["items"] == []
    assert by_first["items"] and all(str(raw["first_name"]) in c["first_name"] for c in by_first["items"])
    assert [c["id"] for c in revealed["items"]] == ["C-0000007"]


async def test_notes_are_described_to_the_model_as_untrusted(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        listed = {t.name: t for t in (await s.list_tools()).tools}
    for name in ("find_contacts", "get_contact"):
        assert "untrusted" in (listed[name].description or "").lower()
    meta = listed["get_contact"].meta or {}
    assert "notes" in meta["cadencia/untrusted"]


async def test_get_contact_shows_consent_provenance_and_cap_window(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        contact = await call_ok(s, "get_contact", {"contact_id": "C-0000001"})
        missing = await call_error(s, "get_contact", {"contact_id": "C-9999999"})
    assert [c["channel"] for c in contact["consents"]] == ["email", "sms", "whatsapp"]
    assert all(c["source"] and c["legal_basis"] and c["updated_on"] for c in contact["consents"])
    email = contact["channels"][0]
    assert email["channel"] == "email" and email["frequency_cap"] == 2
    assert email["eligible"] == (contact["consent"]["email"] == "granted" and email["deliveries_in_window"] < 2)
    assert contact["pii_masked"] is True
    assert "No contact 'C-9999999'" in missing and "find_contacts" in missing


async def test_suppress_contact_stops_marketing_for_good_with_no_undo_token(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        changed = await call_ok(s, "suppress_contact", {"contact_id": "C-0000001", "reason": "asked to stop"})
        contact = await call_ok(s, "get_contact", {"contact_id": "C-0000001"})
        again = await call_ok(s, "suppress_contact", {"contact_id": "C-0000001", "reason": "second time"})
    assert (changed["previous_suppressed"], changed["suppressed"]) == (False, True)
    assert "undo_token" not in changed and "undo_token" not in again
    assert contact["suppressed"] and all(ch["reason"] == "suppressed" for ch in contact["channels"])
    assert again["previous_suppressed"] is True and again["reason"] == "asked to stop"


class _LegacyResult(BaseModel):
    undo_token: str | None = None


async def test_an_undo_token_that_would_lift_a_suppression_is_refused(store: Store, backends: Backends) -> None:
    def suppress(m: Mutation) -> _LegacyResult:
        m.update(contacts, {"id": "C-0000001"}, {"suppressed": True, "suppressed_reason": "asked to stop"})
        return _LegacyResult()

    legacy = store.write(  # what suppress_contact issued while it was registered reversible
        capability="crm",
        tool="suppress_contact",
        args={"contact_id": "C-0000001"},
        idempotency_key=None,
        apply=suppress,
        result_type=_LegacyResult,
        reversible=True,
    )
    before = store.state_hash()
    async with mcp_session("crm", backends) as s:
        refused = await call_error(s, "undo", {"token": legacy.undo_token})
    assert "suppression_is_final" in refused and "C-0000001" in refused
    assert store.state_hash() == before and _raw_contact(store, "C-0000001")["suppressed"]


async def test_rollback_lists_a_suppression_as_irreversible_and_leaves_it_in_place(
    store: Store, backends: Backends, tmp_path: Path
) -> None:
    async with inprocess_toolbox(backends) as toolbox:
        args = {"contact_id": "C-0000001", "reason": "asked to stop", "idempotency_key": "run-suppress.a1"}
        outcome = await toolbox.call("crm_suppress_contact", args)
        executed = ExecutedAction(
            action_id="a1",
            tool="crm_suppress_contact",
            args=args,
            reversibility=toolbox.reversibility("crm_suppress_contact"),
            ok=outcome.ok,
            result=outcome.structured,
            idempotency_key="run-suppress.a1",
        )
        with AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "audit.key") as audit:
            report = await rollback(RunExecutions.of("run-s", [executed]), toolbox=toolbox, audit=audit)
    assert outcome.ok and executed.reversibility is Reversibility.IRREVERSIBLE
    assert [item.status for item in report.items] == [RollbackStatus.IRREVERSIBLE]
    assert _raw_contact(store, "C-0000001")["suppressed"]


async def test_suppress_unknown_contact_is_not_found_and_changes_nothing(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        before = store.state_hash()
        text = await call_error(s, "suppress_contact", {"contact_id": "C-9999999", "reason": "bounce"})
        short = await call_error(s, "suppress_contact", {"contact_id": "C-0000001", "reason": "x"})
    assert "No contact" in text and "reason" in short
    assert store.state_hash() == before


async def test_no_tool_can_grant_consent_or_lift_a_suppression(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert not any("consent" in n or "unsuppress" in n or "resubscribe" in n for n in names)
    assert {"suppress_contact", "send_now", "schedule_send", "cancel_send", "undo"} <= names


# -- segments ---------------------------------------------------------------------------------------------------


async def test_create_segment_then_undo_restores_the_store_exactly(store: Store, backends: Backends) -> None:
    rules = {"countries": ["ES", "FR"], "min_orders": 2, "last_order_within_days": 180}
    async with mcp_session("crm", backends) as s:
        before = store.state_hash()
        created = await call_ok(s, "create_segment", {"name": "Active ES/FR", "rules": rules})
        listed = await call_ok(s, "list_segments", {"limit": 100})
        assert created["segment"]["rules"]["countries"] == ["ES", "FR"] and created["previous"] is None
        assert created["segment"]["id"] in {seg["id"] for seg in listed["items"]}
        await call_ok(s, "undo", {"token": created["undo_token"]})
    assert store.state_hash() == before


async def test_bad_segment_rules_are_refused_naming_the_rule(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        before = store.state_hash()
        inverted = await call_error(s, "create_segment", {"name": "x", "rules": {"min_orders": 9, "max_orders": 2}})
        unknown = await call_error(s, "create_segment", {"name": "x", "rules": {"shoe_size": 42}})
        window = await call_error(
            s, "create_segment", {"name": "x", "rules": {"last_order_within_days": 30, "last_order_before_days": 90}}
        )
        duplicate = await call_error(s, "create_segment", {"name": "vip buyers", "rules": {"min_orders": 6}})
        missing = await call_error(s, "create_segment", {"name": "x"})
    assert "min_orders" in inverted and "max_orders" in inverted
    assert "shoe_size" in unknown
    assert "last_order_within_days" in window
    assert "SEG-VIP" in duplicate
    assert "rules" in missing
    assert store.state_hash() == before


async def test_estimate_segment_breaks_reach_down_by_channel_and_reason(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        saved = await call_ok(s, "estimate_segment", {"segment_id": "SEG-VIP"})
        adhoc = await call_ok(s, "estimate_segment", {"rules": {"min_orders": 5}})
        both = await call_error(s, "estimate_segment", {"segment_id": "SEG-VIP", "rules": {"min_orders": 5}})
        neither = await call_error(s, "estimate_segment", {})
        missing = await call_error(s, "estimate_segment", {"segment_id": "SEG-NOPE"})
    assert saved["size"] > 0 and saved["channels"] == adhoc["channels"]
    for reach in saved["channels"]:
        assert reach["eligible"] + sum(reach["excluded"].values()) == saved["size"]
        assert reach["excluded"]["suppressed"] > 0
    assert "exactly one" in both and "exactly one" in neither
    assert "No segment" in missing


# -- messages ---------------------------------------------------------------------------------------------------


async def test_draft_message_then_undo_restores_the_store_exactly(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        before = store.state_hash()
        draft = await call_ok(s, "draft_message", {**EMAIL_DRAFT, "claim_ids": ["CL-VEGAN", "CL-DERM"]})
        listed = await call_ok(s, "list_messages", {"channel": "email"})
        assert draft["message"]["claim_ids"] == ["CL-DERM", "CL-VEGAN"] and draft["message"]["ai_generated"]
        assert draft["message"]["id"] in {m["id"] for m in listed["items"]}
        await call_ok(s, "undo", {"token": draft["undo_token"]})
    assert store.state_hash() == before


async def test_unapproved_or_unknown_claims_are_refused_by_name(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        before = store.state_hash()
        text = await call_error(s, "draft_message", {**EMAIL_DRAFT, "claim_ids": ["CL-VEGAN", "CL-WRINKLE", "CL-X"]})
        quoted = await call_error(
            s, "draft_message", {**EMAIL_DRAFT, "body": "Our serum is clinically proven to erase wrinkles!"}
        )
    assert "policy_violation" in text and "CL-WRINKLE" in text and "CL-X" in text and "CL-VEGAN" not in text
    assert "CL-WRINKLE" in quoted
    assert store.state_hash() == before


async def test_copy_with_raw_pii_is_refused(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        before = store.state_hash()
        email = await call_error(s, "draft_message", {**EMAIL_DRAFT, "body": "Write to laura.gil@example.com"})
        phone = await call_error(s, "draft_message", {**EMAIL_DRAFT, "body": "Call Laura on +34 612 345 678"})
        in_subject = await call_error(s, "draft_message", {**EMAIL_DRAFT, "subject": "For ana@example.com"})
        assert store.state_hash() == before
        dated = await call_ok(s, "draft_message", {**EMAIL_DRAFT, "body": "Offer ends 2026-03-31, from 19.90 EUR"})
    assert "raw email" in email and "raw phone" in phone and "subject" in in_subject
    assert dated["message"]["body"].startswith("Offer")


async def test_channel_shape_rules_are_enforced(store: Store, backends: Backends) -> None:
    sms = {"channel": "sms", "body": "x" * 161, "claim_ids": [], "ai_generated": False}
    async with mcp_session("crm", backends) as s:
        before = store.state_hash()
        too_long = await call_error(s, "draft_message", sms)
        with_subject = await call_error(s, "draft_message", {**sms, "body": "Hi", "subject": "Hello"})
        no_subject = await call_error(s, "draft_message", {**EMAIL_DRAFT, "subject": None})
        undeclared = await call_error(s, "draft_message", {k: v for k, v in EMAIL_DRAFT.items() if k != "ai_generated"})
        wrong_type = await call_error(s, "draft_message", {**EMAIL_DRAFT, "ai_generated": "maybe"})
        bad_channel = await call_error(s, "draft_message", {**EMAIL_DRAFT, "channel": "fax"})
        assert store.state_hash() == before
        ok = await call_ok(s, "draft_message", {**sms, "body": "x" * 160})
    assert "160" in too_long and "sms" in too_long
    assert "subject" in with_subject and "subject" in no_subject
    assert "ai_generated" in undeclared and "ai_generated" in wrong_type
    assert "channel" in bad_channel
    assert ok["message"]["subject"] == ""
