"""The Klaviyo CRM adapter against a fake seeded from the sandbox contacts (respx; no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import respx
from vendor_fakes import build as b
from vendor_fakes.klaviyo import API_KEY, REVISION, FakeKlaviyo, klaviyo_id
from vendor_fakes.worlds import seed_klaviyo_ledger

from cadencia.tools.crm.models import Channel, ConsentStatus, SendStatus, SkipReason
from cadencia.tools.crm.vendors.klaviyo import KlaviyoCrm
from cadencia.tools.errors import InvalidArgument, NotSupported, VendorError
from cadencia.tools.inventory.models import Category
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.ledger import VendorLedger


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def fake(respx_mock: respx.MockRouter, store: Store) -> FakeKlaviyo:
    fake = FakeKlaviyo.from_store(store)
    b.route_klaviyo(respx_mock, fake)
    seed_klaviyo_ledger(store, VendorLedger(store, "klaviyo"))
    return fake


def klaviyo(store: Store, client: httpx.AsyncClient, *, shadow: bool = False) -> KlaviyoCrm:
    crm = b.build(store, client, b.config(crm=b.KLAVIYO), shadow=shadow).crm
    assert isinstance(crm, KlaviyoCrm)
    return crm


async def test_only_explicit_consent_counts_although_klaviyo_would_email_everyone_unsuppressed(
    store: Store, client: httpx.AsyncClient, fake: FakeKlaviyo
) -> None:
    crm = klaviyo(store, client)
    never = next(
        p for p in fake.profiles.values() if p["attributes"]["subscriptions"]["email"]["marketing"].get("consent")
        == "NEVER_SUBSCRIBED" and p["id"] in fake.segments["SEG-VIP"]["members"]
    )  # fmt: skip
    assert never["attributes"]["subscriptions"]["email"]["marketing"]["can_receive_email_marketing"]
    contact = await crm.get_contact(contact_id=never["id"], reveal_pii=False)
    assert contact.consent.email is ConsentStatus.NONE and contact.channels[0].reason is SkipReason.NO_CONSENT
    made = await crm.draft_message(channel=Channel.EMAIL, subject="Hi", body="Hello", claim_ids=[], ai_generated=False)
    report = await crm.send_now(message_id=made.message.id, segment_id="segment:SEG-VIP")
    campaign = next(iter(fake.campaigns.values()))
    assert never["id"] not in campaign["recipients"] and len(campaign["recipients"]) == report.send.recipients
    assert campaign["send_options"] == {"use_smart_sending": True} and campaign["status"] == "Sent"
    assert [len(fake.lists[i]["members"]) for i in campaign["audiences"]["included"]] == [report.send.recipients]
    assert fake.templates and campaign["message"]["definition"]["content"]["from_email"] == "hola@maisonlysa.example"


async def test_suppression_is_irreversible_reaches_klaviyo_once_and_stops_sms_too(
    store: Store, client: httpx.AsyncClient, fake: FakeKlaviyo
) -> None:
    crm = klaviyo(store, client)
    target = klaviyo_id("C-0000002")
    done = await crm.suppress_contact(contact_id=target, reason="complaint", idempotency_key=None)
    again = await crm.suppress_contact(contact_id=target, reason="complaint", idempotency_key=None)
    assert "undo_token" not in done.model_dump() and again.previous_suppressed and len(fake.suppression_jobs) == 1
    assert fake.suppression_jobs == [[fake.profiles[target]["attributes"]["email"]]]
    contact = await crm.get_contact(contact_id=target, reveal_pii=False)
    assert [c.reason for c in contact.channels] == [SkipReason.SUPPRESSED] * 3
    assert contact.suppressed_reason == "complaint"


async def test_searches_klaviyo_cannot_run_are_refused_not_silently_emptied(
    store: Store, client: httpx.AsyncClient, fake: FakeKlaviyo
) -> None:
    crm = klaviyo(store, client)
    email = fake.profiles[klaviyo_id("C-0000003")]["attributes"]["email"]
    found = await crm.find_contacts(query=email, reveal_pii=True)
    assert [c.id for c in found.items] == [klaviyo_id("C-0000003")]
    assert (await crm.find_contacts(query=email, reveal_pii=False)).items == []
    with pytest.raises(NotSupported, match="searching names"):
        await crm.find_contacts(query="Valentina")
    with pytest.raises(NotSupported, match="favorite_category"):
        await crm.find_contacts(favorite_category=Category.SKINCARE)
    with pytest.raises(NotSupported, match="WhatsApp"):
        await crm.draft_message(channel=Channel.WHATSAPP, subject=None, body="Hi", claim_ids=[], ai_generated=False)
    with pytest.raises(InvalidArgument, match="segment:<id>"):
        await crm.estimate_segment(segment_id="SEG-VIP")


async def test_segments_then_lists_are_paged_and_marked_as_klaviyo_defined(
    store: Store, client: httpx.AsyncClient, fake: FakeKlaviyo
) -> None:
    crm = klaviyo(store, client)
    ids, cursor = [], None
    while True:
        page = await crm.list_segments(cursor=cursor, limit=2)
        ids += [(s.id, s.source) for s in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert ids == [
        ("segment:SEG-LAPSED", "klaviyo segment"),
        ("segment:SEG-SKIN", "klaviyo segment"),
        ("segment:SEG-VIP", "klaviyo segment"),
        ("list:NEWS01", "klaviyo list"),
    ]


async def test_a_scheduled_send_is_seen_as_sent_once_klaviyo_sent_it(
    store: Store, client: httpx.AsyncClient, fake: FakeKlaviyo, respx_mock: respx.MockRouter
) -> None:
    crm = klaviyo(store, client)
    made = await crm.draft_message(channel=Channel.SMS, subject=None, body="Soon", claim_ids=[], ai_generated=False)
    scheduled = await crm.schedule_send(
        message_id=made.message.id, segment_id="segment:SEG-VIP", scheduled_for=b.TODAY + timedelta(days=1)
    )
    campaign = next(iter(fake.campaigns.values()))
    assert campaign["send_strategy"] == {
        "method": "static",
        "datetime": "2026-03-03T09:00:00+00:00",
        "options": {"is_local": False},
    }
    campaign["status"] = "Sent"
    sent = (await crm.list_sends(status=SendStatus.SENT)).items
    assert [(s.id, s.recipients) for s in sent] == [(scheduled.send.id, scheduled.estimate.eligible)]  # type: ignore[union-attr]
    requests = [c.request for c in respx_mock.calls]
    assert all(
        r.headers["revision"] == REVISION and r.headers["Authorization"] == f"Klaviyo-API-Key {API_KEY}"
        for r in requests
    )
    created = next(json.loads(r.content) for r in requests if r.url.path == "/api/campaigns" and r.method == "POST")
    assert created["data"]["attributes"]["campaign-messages"]["data"][0]["attributes"]["definition"] == {
        "channel": "sms",
        "content": {"body": "Soon"},
    }


async def test_shadow_mode_checks_the_audience_but_creates_nothing_in_klaviyo(
    store: Store, client: httpx.AsyncClient, fake: FakeKlaviyo
) -> None:
    crm = klaviyo(store, client, shadow=True)
    before = fake.state()
    made = await crm.draft_message(channel=Channel.EMAIL, subject="Hi", body="Hello", claim_ids=[], ai_generated=False)
    report = await crm.send_now(message_id=made.message.id, segment_id="segment:SEG-VIP")
    assert report.send.recipients > 0 and fake.state() == before and fake.campaigns == {}
    proposals = crm._writes.ledger.proposals()
    assert [(p.tool, p.verdict) for p in proposals] == [("send_now", "would_apply")]
    assert f"to {report.send.recipients} eligible members" in proposals[0].effect


async def test_throttling_is_retried_and_a_refused_key_is_never_echoed(
    store: Store, client: httpx.AsyncClient, fake: FakeKlaviyo, respx_mock: respx.MockRouter
) -> None:
    crm = klaviyo(store, client)
    fake.throttle_next = 1
    assert (await crm.get_contact(contact_id=klaviyo_id("C-0000001"), reveal_pii=False)).id == klaviyo_id("C-0000001")
    respx_mock.route(host="a.klaviyo.com").mock(
        return_value=httpx.Response(
            401, json={"errors": [{"code": "not_authenticated", "detail": f"bad key {API_KEY}"}]}
        )
    )
    with pytest.raises(VendorError, match="API key") as caught:
        await klaviyo(store, client).get_contact(contact_id=klaviyo_id("C-0000001"), reveal_pii=False)
    assert API_KEY not in str(caught.value)
