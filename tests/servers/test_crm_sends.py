"""CRM sends over an in-memory MCP session: consent, suppression and caps at send time; scheduling, undo, scopes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from helpers.mcp import call_error, call_ok, mcp_session
from mcp import Client
from sqlalchemy import and_, func, select

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.crm.dispatch import dispatch_due_sends
from cadencia.tools.crm.tables import consents, contacts, deliveries
from cadencia.tools.limits import Limits, MessagingLimits
from cadencia.tools.store.store import Store

EMAIL_DRAFT = {
    "channel": "email",
    "subject": "Spring",
    "body": "Hello {{first_name}}",
    "claim_ids": [],
    "ai_generated": False,
}


async def _draft(s: Client, **overrides: Any) -> str:
    created = await call_ok(s, "draft_message", {**EMAIL_DRAFT, **overrides})
    return str(created["message"]["id"])


def _deliveries(store: Store, send_id: str) -> int:
    with store.reading() as conn:
        stmt = select(func.count()).select_from(deliveries).where(deliveries.c.send_id == send_id)
        return int(conn.execute(stmt).scalar() or 0)


def _ineligible_deliveries(store: Store, send_id: str, channel: str) -> int:
    """Deliveries of a send to contacts that are suppressed or lack granted consent on its channel."""
    granted = consents.alias()
    stmt = (
        select(func.count())
        .select_from(
            deliveries.join(contacts, contacts.c.id == deliveries.c.contact_id).outerjoin(
                granted,
                and_(
                    granted.c.contact_id == deliveries.c.contact_id,
                    granted.c.channel == channel,
                    granted.c.status == "granted",
                ),
            )
        )
        .where(deliveries.c.send_id == send_id)
        .where((contacts.c.suppressed.is_(True)) | granted.c.contact_id.is_(None))
    )
    with store.reading() as conn:
        return int(conn.execute(stmt).scalar() or 0)


async def test_send_now_delivers_only_to_consented_unsuppressed_contacts(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        estimate = await call_ok(s, "estimate_segment", {"segment_id": "SEG-VIP"})
        report = await call_ok(s, "send_now", {"message_id": await _draft(s), "segment_id": "SEG-VIP"})
    sent = report["send"]
    email = estimate["channels"][0]
    assert sent["status"] == "sent" and sent["channel"] == "email"
    assert sent["recipients"] == email["eligible"] == _deliveries(store, sent["id"])
    assert sent["skipped_by_reason"] == email["excluded"] and report["audience"] == email
    assert sent["recipients"] + sent["skipped"] == estimate["size"]
    assert _ineligible_deliveries(store, sent["id"], "email") == 0


async def test_sends_beyond_the_frequency_cap_skip_capped_contacts(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        first = (await call_ok(s, "send_now", {"message_id": message_id, "segment_id": "SEG-VIP"}))["send"]
        second = (await call_ok(s, "send_now", {"message_id": message_id, "segment_id": "SEG-VIP"}))["send"]
        before = store.state_hash()
        third = await call_error(s, "send_now", {"message_id": message_id, "segment_id": "SEG-VIP"})
        assert store.state_hash() == before
    assert first["skipped_by_reason"]["frequency_capped"] == 0
    assert second["skipped_by_reason"]["frequency_capped"] > 0
    assert second["recipients"] == first["recipients"] - second["skipped_by_reason"]["frequency_capped"]
    assert "no eligible recipients" in third and "frequency cap" in third and "nothing was sent" in third


async def test_send_above_the_per_send_maximum_is_refused(store: Store) -> None:
    tight = sandbox_backends(store, Limits(messaging=MessagingLimits(max_recipients_per_send=10)))
    async with mcp_session("crm", tight) as s:
        message_id = await _draft(s)
        before = store.state_hash()
        now = await call_error(s, "send_now", {"message_id": message_id, "segment_id": "SEG-VIP"})
        later = await call_error(
            s, "schedule_send", {"message_id": message_id, "segment_id": "SEG-VIP", "scheduled_for": "2026-03-05"}
        )
    assert "maximum 10" in now and "maximum 10" in later
    assert store.state_hash() == before


async def test_send_now_with_unknown_ids_is_not_found(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        before = store.state_hash()
        no_message = await call_error(s, "send_now", {"message_id": "MSG-999999", "segment_id": "SEG-VIP"})
        no_segment = await call_error(s, "send_now", {"message_id": message_id, "segment_id": "SEG-NOPE"})
        missing = await call_error(s, "send_now", {"message_id": message_id})
    assert "No message 'MSG-999999'" in no_message and "No segment 'SEG-NOPE'" in no_segment
    assert "segment_id" in missing
    assert store.state_hash() == before


async def test_send_now_retried_with_the_same_key_sends_once(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        args = {"message_id": message_id, "segment_id": "SEG-VIP", "idempotency_key": "newsletter-0302"}
        first = await call_ok(s, "send_now", args)
        again = await call_ok(s, "send_now", args)
        other = await call_error(s, "send_now", {**args, "segment_id": "SEG-SKIN"})
        listed = await call_ok(s, "list_sends", {"status": "sent"})
    assert again == first
    assert [x["id"] for x in listed["items"]].count(first["send"]["id"]) == 1 and len(listed["items"]) == 2
    assert _deliveries(store, first["send"]["id"]) == first["send"]["recipients"]
    assert "idempotency_key" in other and "conflict" in other


async def test_send_tools_publish_honest_reversibility(backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        listed = {t.name: t for t in (await s.list_tools()).tools}
    send_now = listed["send_now"]
    assert send_now.meta and send_now.meta["cadencia/reversibility"] == "irreversible"
    assert send_now.annotations and send_now.annotations.destructive_hint and send_now.annotations.open_world_hint
    assert "IRREVERSIBLE" in (send_now.description or "")
    suppress = listed["suppress_contact"]
    assert suppress.meta and suppress.meta["cadencia/reversibility"] == "irreversible"
    for name in ("schedule_send", "cancel_send", "create_segment", "draft_message", "undo"):
        assert listed[name].meta and listed[name].meta["cadencia/reversibility"] == "reversible"
    for name in ("find_contacts", "get_contact", "estimate_segment", "list_sends"):
        assert listed[name].annotations and listed[name].annotations.read_only_hint


async def test_mutating_tools_need_the_write_scope_and_vanish_when_read_only(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends, scopes=frozenset({"read"})) as s:
        before = store.state_hash()
        denied = await call_error(s, "suppress_contact", {"contact_id": "C-0000001", "reason": "bounce"})
        assert store.state_hash() == before
    async with mcp_session("crm", backends, read_only=True) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert "write" in denied and "permission_denied" in denied
    assert "send_now" not in names and "find_contacts" in names


# -- scheduling -------------------------------------------------------------------------------------------------


async def test_schedule_send_then_undo_restores_the_store_exactly(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        before = store.state_hash()
        scheduled = await call_ok(
            s, "schedule_send", {"message_id": message_id, "segment_id": "SEG-SKIN", "scheduled_for": "2026-03-04"}
        )
        assert scheduled["send"]["status"] == "scheduled" and scheduled["estimate"]["eligible"] > 0
        await call_ok(s, "undo", {"token": scheduled["undo_token"]})
    assert store.state_hash() == before


async def test_cancel_send_then_undo_restores_the_store_exactly(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        scheduled = await call_ok(
            s, "schedule_send", {"message_id": message_id, "segment_id": "SEG-SKIN", "scheduled_for": "2026-03-02"}
        )
        before = store.state_hash()
        cancelled = await call_ok(s, "cancel_send", {"send_id": scheduled["send"]["id"]})
        assert (cancelled["previous_status"], cancelled["send"]["status"]) == ("scheduled", "cancelled")
        stale = await call_error(s, "undo", {"token": scheduled["undo_token"]})
        await call_ok(s, "undo", {"token": cancelled["undo_token"]})
    assert "stale" in stale
    assert store.state_hash() == before


async def test_schedule_send_refuses_past_dates_and_unknown_ids(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        before = store.state_hash()
        past = await call_error(
            s, "schedule_send", {"message_id": message_id, "segment_id": "SEG-SKIN", "scheduled_for": "2026-03-01"}
        )
        bad_date = await call_error(
            s, "schedule_send", {"message_id": message_id, "segment_id": "SEG-SKIN", "scheduled_for": "next week"}
        )
        unknown = await call_error(
            s, "schedule_send", {"message_id": "MSG-424242", "segment_id": "SEG-SKIN", "scheduled_for": "2026-03-03"}
        )
        no_send = await call_error(s, "cancel_send", {"send_id": "SND-424242"})
    assert "in the past" in past and "scheduled_for" in bad_date
    assert "No message" in unknown and "No send 'SND-424242'" in no_send
    assert store.state_hash() == before


async def test_a_sent_send_can_be_neither_cancelled_nor_undone(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        scheduled = await call_ok(
            s, "schedule_send", {"message_id": message_id, "segment_id": "SEG-SKIN", "scheduled_for": "2026-03-02"}
        )
        with store.writing() as conn:
            delivered = dispatch_due_sends(conn, store.today(conn))
        before = store.state_hash()
        cancel = await call_error(s, "cancel_send", {"send_id": scheduled["send"]["id"]})
        undo = await call_error(s, "undo", {"token": scheduled["undo_token"]})
        sent = (await call_ok(s, "list_sends", {"status": "sent"}))["items"][-1]
    assert delivered and sent["recipients"] == len(delivered)
    assert "only scheduled sends" in cancel and "stale" in undo
    assert store.state_hash() == before


async def test_undoing_a_draft_used_by_a_send_is_refused(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        draft = await call_ok(s, "draft_message", EMAIL_DRAFT)
        segment = await call_ok(s, "create_segment", {"name": "French buyers", "rules": {"countries": ["FR"]}})
        await call_ok(s, "send_now", {"message_id": draft["message"]["id"], "segment_id": segment["segment"]["id"]})
        before = store.state_hash()
        message_undo = await call_error(s, "undo", {"token": draft["undo_token"]})
        segment_undo = await call_error(s, "undo", {"token": segment["undo_token"]})
    assert "stale" in message_undo and "stale" in segment_undo
    assert store.state_hash() == before


async def test_dispatch_skips_contacts_who_withdrew_consent_after_scheduling(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        scheduled = await call_ok(
            s, "schedule_send", {"message_id": message_id, "segment_id": "SEG-VIP", "scheduled_for": "2026-03-03"}
        )
        vip = await call_ok(s, "find_contacts", {"segment_id": "SEG-VIP", "consent_channel": "email", "limit": 10})
    withdrawn = [c["id"] for c in vip["items"] if not c["suppressed"]][:3]
    with store.writing() as conn:
        conn.execute(
            consents.update()
            .where(consents.c.contact_id.in_(withdrawn), consents.c.channel == "email")
            .values(status="withdrawn")
        )
        day = store.today(conn) + timedelta(days=1)
        delivered = dispatch_due_sends(conn, day)
    expected = scheduled["estimate"]["eligible"] - len(withdrawn)
    assert len(delivered) == expected == _deliveries(store, scheduled["send"]["id"])
    assert not {cid for cid, _ in delivered} & set(withdrawn)
    assert {ch for _, ch in delivered} == {"email"}
    assert _ineligible_deliveries(store, scheduled["send"]["id"], "email") == 0


async def test_schedule_send_retried_with_the_same_key_schedules_once(store: Store, backends: Backends) -> None:
    async with mcp_session("crm", backends) as s:
        message_id = await _draft(s)
        args = {
            "message_id": message_id,
            "segment_id": "SEG-SKIN",
            "scheduled_for": "2026-03-04",
            "idempotency_key": "skin-0304-a",
        }
        first = await call_ok(s, "schedule_send", args)
        again = await call_ok(s, "schedule_send", args)
        other = await call_error(s, "schedule_send", {**args, "scheduled_for": "2026-03-05"})
        scheduled = await call_ok(s, "list_sends", {"status": "scheduled"})
    assert again == first and first["undo_token"]
    assert [x["id"] for x in scheduled["items"]] == [first["send"]["id"]]
    assert "already used" in other
