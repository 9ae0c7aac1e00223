"""The CRM backend contract.

Part one runs on every backend — the sandbox and Klaviyo over a fake seeded from the same contacts, consents,
segments and deliveries (`vendor_fakes.worlds`), on SQLite and PostgreSQL: masking, reach, who a send reaches,
refusals, undo, suppression; what Klaviyo cannot serve must raise NotSupported. Eligibility is checked against an
independent, row-by-row Python computation over the same data. Part two covers sandbox-only mechanics (scheduled
dispatch inside the store, frequency-window edges on hand-made deliveries).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
import respx
from sqlalchemy import insert, select, update
from vendor_fakes.worlds import CRM_WORLDS, World, crm_world

from cadencia.tools.crm.dispatch import dispatch_due_sends
from cadencia.tools.crm.models import Channel, SegmentRules, SendStatus, SkipReason
from cadencia.tools.crm.sandbox import SandboxCrm
from cadencia.tools.crm.tables import consents, contacts, deliveries, sends
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, NotSupported, PolicyViolation
from cadencia.tools.limits import Limits, MessagingLimits
from cadencia.tools.store.store import Store


def _eligible_by_hand(
    store: Store, rules: SegmentRules, channel: Channel, day: date, limits: MessagingLimits
) -> set[str]:
    """Eligible members computed row by row in Python, independently of the SQL in `eligibility`."""
    start = (day - timedelta(days=limits.frequency_window_days - 1)).isoformat()
    with store.reading() as conn:
        people = conn.execute(select(contacts)).mappings().all()
        granted = set(
            conn.execute(
                select(consents.c.contact_id).where(consents.c.channel == channel.value, consents.c.status == "granted")
            ).scalars()
        )
        sent: dict[str, int] = {}
        for cid, on in conn.execute(
            select(deliveries.c.contact_id, deliveries.c.sent_on).where(deliveries.c.channel == channel.value)
        ):
            if start <= on <= day.isoformat():
                sent[cid] = sent.get(cid, 0) + 1
    out = set()
    for p in people:
        member = (rules.min_orders is None or p["orders_count"] >= rules.min_orders) and (
            rules.countries is None or p["country"] in rules.countries
        )
        if member and not p["suppressed"] and p["id"] in granted and sent.get(p["id"], 0) < limits.frequency_cap:
            out.add(p["id"])
    return out


def _delivered(store: Store, send_id: str) -> set[str]:
    with store.reading() as conn:
        return set(conn.execute(select(deliveries.c.contact_id).where(deliveries.c.send_id == send_id)).scalars())


async def _draft(crm: SandboxCrm, channel: Channel = Channel.EMAIL) -> str:
    subject = "Hello" if channel is Channel.EMAIL else None
    made = await crm.draft_message(
        channel=channel, subject=subject, body="Hi {{first_name}}", claim_ids=[], ai_generated=False
    )
    return made.message.id


# -- every backend -----------------------------------------------------------------------------------------------


@pytest.fixture(params=CRM_WORLDS)
async def world(request: pytest.FixtureRequest, any_store: Store, respx_mock: respx.MockRouter) -> AsyncIterator[World]:
    async with httpx.AsyncClient() as client:
        yield crm_world(request.param, any_store, client, respx_mock)


async def test_every_backend_masks_contacts_unless_pii_is_revealed(world: World) -> None:
    crm = world.make(Limits())
    masked = await crm.get_contact(contact_id=world.id("C-0000003"), reveal_pii=False)
    clear = await crm.get_contact(contact_id=world.id("C-0000003"), reveal_pii=True)
    assert masked.email.endswith("***@example.com") and clear.email.endswith(".3@example.com")
    assert masked.last_name == clear.last_name[0] + "." and masked.pii_masked and not clear.pii_masked
    assert masked.consent == clear.consent and masked.channels == clear.channels
    page = await crm.find_contacts(country="CO", min_orders=1, limit=100)
    assert page.items and all(c.country == "CO" and c.orders_count >= 1 and c.pii_masked for c in page.items)
    with pytest.raises(NotFound):
        await crm.get_contact(contact_id=world.missing_id, reveal_pii=False)


async def test_every_backend_estimates_reach_with_the_same_consent_suppression_and_caps(
    world: World, any_store: Store
) -> None:
    reference = await SandboxCrm(any_store).estimate_segment(segment_id="SEG-VIP")
    estimate = await world.make(Limits()).estimate_segment(segment_id=world.id("SEG-VIP"), rules=None)
    assert estimate.size == reference.size and estimate.channels == reference.channels
    assert estimate.frequency_cap == reference.frequency_cap


async def test_every_backend_sends_to_exactly_the_eligible_members(world: World, any_store: Store) -> None:
    crm = world.make(Limits())
    channels = [Channel.EMAIL, Channel.SMS] if world.vendor else list(Channel)
    for channel in channels:
        expected = _eligible_by_hand(
            any_store, SegmentRules(min_orders=5), channel, any_store.today(), Limits().messaging
        )
        subject = "Hello" if channel is Channel.EMAIL else None
        made = await crm.draft_message(
            channel=channel, subject=subject, body="Hi {{first_name}}", claim_ids=[], ai_generated=False
        )
        report = await crm.send_now(message_id=made.message.id, segment_id=world.id("SEG-VIP"))
        assert report.send.recipients == report.audience.eligible == len(expected)
        assert world.delivered(report.send.id) == expected and report.send.status is SendStatus.SENT


async def test_every_backend_refuses_with_typed_errors_and_writes_nothing(world: World) -> None:
    crm = world.make(Limits(messaging=MessagingLimits(max_recipients_per_send=5)))
    made = await crm.draft_message(channel=Channel.EMAIL, subject="Hello", body="Hi", claim_ids=[], ai_generated=False)
    before = world.state()
    with pytest.raises(PolicyViolation) as exc:
        await crm.send_now(message_id=made.message.id, segment_id=world.id("SEG-VIP"), idempotency_key=None)
    assert exc.value.rule == "eligible_audience"
    with pytest.raises(PolicyViolation) as exc:
        await crm.draft_message(channel=Channel.EMAIL, subject="x", body="y", claim_ids=["CL-CURE"], ai_generated=False)
    assert exc.value.rule == "approved_claims" and "CL-CURE" in exc.value.message
    with pytest.raises(PolicyViolation, match="no_raw_pii"):
        await crm.draft_message(
            channel=Channel.EMAIL, subject="Hi", body="Write to ana@example.com", claim_ids=[], ai_generated=False
        )
    with pytest.raises(InvalidArgument):
        await crm.estimate_segment(segment_id=None, rules=None)
    with pytest.raises(NotFound):
        await crm.send_now(message_id="MSG-nope", segment_id=world.id("SEG-VIP"), idempotency_key=None)
    assert world.state() == before


async def test_every_backend_undoes_drafts_and_schedules_until_used(world: World, any_store: Store) -> None:
    crm = world.make(Limits())
    before = world.state()
    draft = await crm.draft_message(
        channel=Channel.SMS, subject=None, body="New shades", claim_ids=["CL-CRUELTY"], ai_generated=True
    )
    scheduled = await crm.schedule_send(
        message_id=draft.message.id, segment_id=world.id("SEG-VIP"), scheduled_for=any_store.today() + timedelta(days=2)
    )
    assert scheduled.send.status is SendStatus.SCHEDULED and scheduled.estimate and scheduled.estimate.eligible > 0
    listed = await crm.list_sends(status=SendStatus.SCHEDULED, cursor=None, limit=100)
    assert scheduled.send.id in {s.id for s in listed.items}
    with pytest.raises(Conflict, match="stale"):
        await crm.undo(token=draft.undo_token or "", idempotency_key=None)
    await crm.undo(token=scheduled.undo_token or "", idempotency_key=None)
    await crm.undo(token=draft.undo_token or "", idempotency_key=None)
    assert world.state() == before
    with pytest.raises(Conflict):
        await crm.undo(token=draft.undo_token or "", idempotency_key=None)
    again = await crm.draft_message(channel=Channel.SMS, subject=None, body="Soon", claim_ids=[], ai_generated=False)
    later = await crm.schedule_send(
        message_id=again.message.id, segment_id=world.id("SEG-VIP"), scheduled_for=any_store.today() + timedelta(days=3)
    )
    cancelled = await crm.cancel_send(send_id=later.send.id)
    assert cancelled.send.status is SendStatus.CANCELLED and cancelled.previous_status is SendStatus.SCHEDULED
    with pytest.raises(Conflict, match="only scheduled sends"):
        await crm.cancel_send(send_id=later.send.id)


async def test_every_backend_applies_a_suppression_to_every_channel(world: World) -> None:
    crm = world.make(Limits())
    target = world.id("C-0000002")
    changed = await crm.suppress_contact(contact_id=target, reason="asked to stop", idempotency_key=None)
    assert changed.suppressed and not changed.previous_suppressed
    contact = await crm.get_contact(contact_id=target, reveal_pii=True)
    assert contact.suppressed and all(c.reason is SkipReason.SUPPRESSED for c in contact.channels)


async def test_tools_a_vendor_cannot_serve_raise_not_supported_and_change_nothing(world: World) -> None:
    crm = world.make(Limits())
    before = world.state()
    assert bool(world.unsupported) == world.vendor
    for tool, kwargs in world.unsupported.items():
        with pytest.raises(NotSupported, match="not supported by"):
            await getattr(crm, tool)(**kwargs)
    assert world.state() == before


# -- sandbox only: the store's own dispatch and hand-made delivery histories -----------------------------------------


async def test_send_now_reaches_exactly_the_eligible_members(any_store: Store) -> None:
    crm = SandboxCrm(any_store)
    today = any_store.today()
    for channel in Channel:
        expected = _eligible_by_hand(any_store, SegmentRules(min_orders=5), channel, today, crm.limits.messaging)
        estimate = await crm.estimate_segment(segment_id="SEG-VIP")
        reach = next(r for r in estimate.channels if r.channel is channel)
        sent = (await crm.send_now(message_id=await _draft(crm, channel), segment_id="SEG-VIP")).send
        assert reach.eligible == sent.recipients == len(expected)
        assert _delivered(any_store, sent.id) == expected


async def test_the_frequency_cap_counts_every_kind_within_the_window(any_store: Store) -> None:
    limits = Limits(messaging=MessagingLimits(frequency_cap=1, frequency_window_days=3))
    crm = SandboxCrm(any_store, limits)
    today = any_store.today()
    rules = SegmentRules(countries=["FR"])
    fresh = _eligible_by_hand(any_store, rules, Channel.SMS, today, limits.messaging)
    inside, edge, outside = sorted(fresh)[:3]
    with any_store.writing() as conn:
        rows = [
            (inside, today, "review_request"),
            (edge, today - timedelta(days=2), "marketing"),
            (outside, today - timedelta(days=3), "marketing"),
        ]
        for i, (cid, on, kind) in enumerate(rows):
            conn.execute(
                insert(deliveries).values(
                    send_id=f"T-{i}", contact_id=cid, channel="sms", sent_on=on.isoformat(), kind=kind
                )
            )
    contact = await crm.get_contact(contact_id=inside, reveal_pii=False)
    sms = next(c for c in contact.channels if c.channel is Channel.SMS)
    assert (sms.deliveries_in_window, sms.eligible, sms.reason) == (1, False, "frequency_capped")
    segment = await crm.create_segment(name="FR", rules=rules, idempotency_key=None)
    sent = (await crm.send_now(message_id=await _draft(crm, Channel.SMS), segment_id=segment.segment.id)).send
    delivered = _delivered(any_store, sent.id)
    assert inside not in delivered and edge not in delivered and outside in delivered
    assert delivered == fresh - {inside, edge}


async def test_dispatch_delivers_due_sends_once_and_leaves_the_rest(any_store: Store) -> None:
    crm = SandboxCrm(any_store)
    today = any_store.today()
    message_id = await _draft(crm)
    due = await crm.schedule_send(
        message_id=message_id, segment_id="SEG-VIP", scheduled_for=today, idempotency_key=None
    )
    later = await crm.schedule_send(
        message_id=message_id, segment_id="SEG-SKIN", scheduled_for=today + timedelta(days=5), idempotency_key=None
    )
    cancelled = await crm.schedule_send(
        message_id=message_id, segment_id="SEG-LAPSED", scheduled_for=today, idempotency_key=None
    )
    await crm.cancel_send(send_id=cancelled.send.id, idempotency_key=None)
    with any_store.writing() as conn:
        delivered = dispatch_due_sends(conn, today)
    with any_store.writing() as conn:
        assert dispatch_due_sends(conn, today) == []
    by_id = {s.id: s for s in (await crm.list_sends(status=None, cursor=None, limit=100)).items}
    assert by_id[due.send.id].status is SendStatus.SENT and by_id[due.send.id].sent_on == today
    assert by_id[due.send.id].recipients == len(delivered) == due.estimate.eligible  # type: ignore[union-attr]
    assert by_id[later.send.id].status is SendStatus.SCHEDULED
    assert by_id[cancelled.send.id].status is SendStatus.CANCELLED
    assert {cid for cid, _ in delivered} == _delivered(any_store, due.send.id)


async def test_dispatch_fails_a_send_whose_audience_became_empty(any_store: Store) -> None:
    crm = SandboxCrm(any_store)
    today = any_store.today()
    segment = await crm.create_segment(
        name="Rich FR", rules=SegmentRules(countries=["FR"], min_orders=6), idempotency_key=None
    )
    scheduled = await crm.schedule_send(
        message_id=await _draft(crm), segment_id=segment.segment.id, scheduled_for=today, idempotency_key=None
    )
    with any_store.writing() as conn:
        conn.execute(update(contacts).where(contacts.c.country == "FR").values(suppressed=True))
        assert dispatch_due_sends(conn, today) == []
        row = conn.execute(select(sends).where(sends.c.id == scheduled.send.id)).mappings().one()
    assert row["status"] == "failed" and "no eligible recipients" in row["failure_reason"]
    assert _delivered(any_store, scheduled.send.id) == set()


async def test_every_reversible_call_undoes_to_the_same_state(any_store: Store) -> None:
    crm = SandboxCrm(any_store)
    before = any_store.state_hash()
    tokens = [
        (await crm.create_segment(name="Makeup", rules=SegmentRules(min_orders=1), idempotency_key=None)).undo_token,
    ]
    draft = await crm.draft_message(
        channel=Channel.WHATSAPP, subject=None, body="New shades", claim_ids=["CL-CRUELTY"], ai_generated=True
    )
    tokens.append(draft.undo_token)
    scheduled = await crm.schedule_send(
        message_id=draft.message.id, segment_id="SEG-VIP", scheduled_for=any_store.today(), idempotency_key=None
    )
    tokens.append(scheduled.undo_token)
    tokens.append((await crm.cancel_send(send_id=scheduled.send.id, idempotency_key=None)).undo_token)
    for token in reversed(tokens):
        assert token is not None
        await crm.undo(token=token, idempotency_key=None)
    assert any_store.state_hash() == before
    with pytest.raises(Conflict):
        await crm.undo(token=tokens[0], idempotency_key=None)


async def test_refusals_raise_typed_errors_and_write_nothing(any_store: Store) -> None:
    crm = SandboxCrm(any_store, Limits(messaging=MessagingLimits(max_recipients_per_send=5)))
    message_id = await _draft(crm)
    before = any_store.state_hash()
    with pytest.raises(PolicyViolation) as exc:
        await crm.send_now(message_id=message_id, segment_id="SEG-VIP", idempotency_key=None)
    assert exc.value.rule == "eligible_audience"
    with pytest.raises(PolicyViolation) as exc:
        await crm.draft_message(channel=Channel.EMAIL, subject="x", body="y", claim_ids=["CL-CURE"], ai_generated=False)
    assert exc.value.rule == "approved_claims" and "CL-CURE" in exc.value.message
    with pytest.raises(NotFound):
        await crm.get_contact(contact_id="C-nope", reveal_pii=True)
    with pytest.raises(InvalidArgument):
        await crm.estimate_segment(segment_id=None, rules=None)
    with pytest.raises(InvalidArgument):
        await crm.find_contacts(cursor="garbage")
    assert any_store.state_hash() == before


async def test_contacts_are_masked_unless_pii_is_revealed(any_store: Store) -> None:
    crm = SandboxCrm(any_store)
    masked = await crm.get_contact(contact_id="C-0000003", reveal_pii=False)
    clear = await crm.get_contact(contact_id="C-0000003", reveal_pii=True)
    assert masked.email.endswith("***@example.com") and clear.email.endswith(".3@example.com")
    assert masked.last_name == clear.last_name[0] + "."
    assert masked.consents == clear.consents and masked.channels == clear.channels
    page = await crm.find_contacts(country="CO", min_orders=1, limit=100)
    assert page.items and all(c.country == "CO" and c.orders_count >= 1 and c.pii_masked for c in page.items)
