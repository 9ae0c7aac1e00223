"""Review requests over MCP: only consented, unsuppressed buyers outside cooldown and caps; all or nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from helpers.mcp import call_error, call_ok, mcp_session
from sqlalchemy import func, select

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.crm.tables import consents, contacts, deliveries
from cadencia.tools.limits import Limits, MessagingLimits
from cadencia.tools.reviews.tables import review_requests, reviews
from cadencia.tools.store.store import Store

SKU = "ML-000005"


def pick(
    store: Store,
    n: int,
    *,
    channel: str = "email",
    consent: str = "granted",
    suppressed: bool = False,
    buyer: bool = True,
    delivered: bool = False,
) -> list[str]:
    """Contacts matching the conditions who have not reviewed SKU (deterministic: lowest ids first)."""
    with store.reading() as conn:
        status = select(consents.c.contact_id).where(consents.c.channel == channel, consents.c.status == consent)
        sent = select(deliveries.c.contact_id).where(deliveries.c.channel == channel)
        reviewed = select(reviews.c.contact_id).where(reviews.c.sku == SKU, reviews.c.contact_id.is_not(None))
        stmt = select(contacts.c.id).where(
            contacts.c.id.in_(status),
            contacts.c.id.in_(sent) if delivered else contacts.c.id.not_in(sent),
            contacts.c.id.not_in(reviewed),
            contacts.c.suppressed.is_(suppressed),
            contacts.c.orders_count > 0 if buyer else contacts.c.orders_count == 0,
        )
        ids = list(conn.execute(stmt.order_by(contacts.c.id).limit(n)).scalars())
    assert len(ids) == n
    return ids


def reviewer(store: Store) -> str:
    """A consented, unsuppressed buyer who already reviewed SKU."""
    with store.reading() as conn:
        granted = select(consents.c.contact_id).where(consents.c.channel == "email", consents.c.status == "granted")
        stmt = (
            select(reviews.c.contact_id)
            .join(contacts, contacts.c.id == reviews.c.contact_id)
            .where(
                reviews.c.sku == SKU,
                reviews.c.contact_id.in_(granted),
                contacts.c.suppressed.is_(False),
                contacts.c.orders_count > 0,
            )
        )
        return conn.execute(stmt.order_by(reviews.c.contact_id)).scalars().first()


def rows(store: Store, table: Any) -> int:
    with store.reading() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def request(ids: list[str], channel: str = "email", **extra: Any) -> dict[str, Any]:
    return {"sku": SKU, "contact_ids": ids, "channel": channel, **extra}


async def test_eligible_buyers_are_asked_and_the_sends_are_recorded(store: Store, backends: Backends) -> None:
    ids = pick(store, 3)
    deliveries_before = rows(store, deliveries)
    async with mcp_session("reviews", backends) as s:
        result = await call_ok(s, "request_reviews", request(ids))
        listed = await call_ok(s, "list_review_requests", {"sku": SKU})
    assert result["sent"] == 3 and result["eligible"] == 3 and result["dry_run"] is False
    assert [r["contact_id"] for r in result["requests"]] == ids
    assert all(r["sent_on"] == "2026-03-02" and r["channel"] == "email" for r in result["requests"])
    assert {r["id"] for r in listed["items"]} == {r["id"] for r in result["requests"]}
    assert rows(store, deliveries) == deliveries_before + 3
    with store.reading() as conn:
        kinds = conn.execute(select(deliveries.c.kind, deliveries.c.send_id).where(deliveries.c.contact_id.in_(ids)))
        assert sorted(kinds.all()) == sorted(("review_request", r["id"]) for r in result["requests"])


async def test_any_ineligible_contact_refuses_the_whole_call_and_sends_nothing(
    store: Store, backends: Backends
) -> None:
    ok = pick(store, 2)
    cases = {
        pick(store, 1, consent="none")[0]: "no_consent",
        pick(store, 1, consent="withdrawn")[0]: "consent_withdrawn",
        pick(store, 1, suppressed=True)[0]: "suppressed",
        pick(store, 1, buyer=False)[0]: "no_purchase",
        reviewer(store): "already_reviewed",
    }
    state = store.state_hash()
    async with mcp_session("reviews", backends) as s:
        for contact_id, reason in cases.items():
            text = await call_error(s, "request_reviews", request([*ok, contact_id]))
            assert "rule review_request_eligibility" in text and f"{contact_id} ({reason}" in text, text
            assert "nothing was sent" in text and ok[0] not in text
        check = await call_ok(s, "check_review_request_eligibility", request([*ok, *cases]))
        dry = await call_ok(s, "request_reviews", request([*ok, *cases], dry_run=True))
        assert "list_products" in await call_error(s, "request_reviews", {**request(ok), "sku": "ML-999999"})
        assert "C-9999999" in await call_error(s, "request_reviews", request([*ok, "C-9999999"]))
    assert store.state_hash() == state
    assert check == dry and dry["dry_run"] and dry["sent"] == 0 and dry["requests"] == []
    assert (dry["eligible"], dry["ineligible"]) == (2, len(cases))
    reasons = {c["contact_id"]: c["reasons"] for c in dry["contacts"]}
    assert all(reason in reasons[cid] for cid, reason in cases.items())
    assert reasons[ok[0]] == []


async def test_consent_is_checked_for_the_channel_used(store: Store, backends: Backends) -> None:
    email_ok = pick(store, 200)
    with store.reading() as conn:
        no_sms = select(consents.c.contact_id).where(consents.c.channel == "sms", consents.c.status == "none")
        contact = (
            conn.execute(
                select(contacts.c.id)
                .where(contacts.c.id.in_(email_ok), contacts.c.id.in_(no_sms))
                .order_by(contacts.c.id)
            )
            .scalars()
            .first()
        )
    async with mcp_session("reviews", backends) as s:
        by_email = await call_ok(s, "check_review_request_eligibility", request([contact], "email"))
        by_sms = await call_ok(s, "check_review_request_eligibility", request([contact], "sms"))
    assert by_email["contacts"][0]["eligible"] is True
    assert by_sms["contacts"][0]["reasons"] == ["no_consent"]


async def test_cooldown_blocks_a_second_request_until_it_expires(store: Store, backends: Backends) -> None:
    ids = pick(store, 1)
    async with mcp_session("reviews", backends) as s:
        await call_ok(s, "request_reviews", request(ids))
        text = await call_error(s, "request_reviews", request(ids, "email"))
        assert "(cooldown" in text
        with store.writing() as conn:
            store.set_world(conn, "today", (store.today(conn) + timedelta(days=30)).isoformat())
        later = await call_ok(s, "check_review_request_eligibility", request(ids))
    assert later["contacts"][0]["eligible"] is True


async def test_frequency_cap_counts_every_delivery_on_the_channel_including_review_requests(store: Store) -> None:
    limits = Limits(messaging=MessagingLimits(frequency_cap=2, frequency_window_days=7, review_request_cooldown_days=1))
    capped_backends = sandbox_backends(store, limits)
    newsletter_reader = pick(store, 1, delivered=True)  # got the seed newsletter 3 days ago: 1 of 2
    async with mcp_session("reviews", capped_backends) as s:
        await call_ok(s, "request_reviews", request(newsletter_reader))  # 2 of 2
        with store.writing() as conn:
            store.set_world(conn, "today", (store.today(conn) + timedelta(days=1)).isoformat())
        check = await call_ok(s, "check_review_request_eligibility", request(newsletter_reader))
        assert check["contacts"][0]["reasons"] == ["frequency_capped"]
        with store.writing() as conn:  # the newsletter leaves the 7-day window
            store.set_world(conn, "today", (store.today(conn) + timedelta(days=3)).isoformat())
        freed = await call_ok(s, "check_review_request_eligibility", request(newsletter_reader))
    assert freed["contacts"][0]["eligible"] is True


async def test_a_frequency_cap_of_one_blocks_contacts_who_already_got_the_newsletter(store: Store) -> None:
    limits = Limits(messaging=MessagingLimits(frequency_cap=1))
    reader = pick(store, 1, delivered=True)
    async with mcp_session("reviews", sandbox_backends(store, limits)) as s:
        text = await call_error(s, "request_reviews", request(reader))
    assert f"{reader[0]} (frequency_capped)" in text
    assert rows(store, review_requests) == 0


async def test_request_retried_with_the_same_key_sends_once(store: Store, backends: Backends) -> None:
    ids = pick(store, 2)
    args = request(ids, idempotency_key="ask-reviews-0001")
    async with mcp_session("reviews", backends) as s:
        first = await call_ok(s, "request_reviews", args)
        again = await call_ok(s, "request_reviews", args)
        other = await call_error(s, "request_reviews", {**args, "contact_ids": ids[:1]})
    assert again == first
    assert rows(store, review_requests) == 2
    assert "[conflict]" in other and "idempotency_key" in other


async def test_request_arguments_are_validated(store: Store, backends: Backends) -> None:
    ids = pick(store, 1)
    async with mcp_session("reviews", backends) as s:
        assert "contact_ids" in await call_error(s, "request_reviews", request([]))
        assert "contact_ids" in await call_error(s, "request_reviews", request([f"C-{i:07d}" for i in range(201)]))
        assert "more than once" in await call_error(s, "request_reviews", request(ids * 2))
        assert "channel" in await call_error(s, "request_reviews", request(ids, "pigeon"))
        assert "sku" in await call_error(s, "request_reviews", {"contact_ids": ids, "channel": "email"})
        assert "dry_run" in await call_error(s, "request_reviews", request(ids, dry_run="perhaps"))
    assert rows(store, review_requests) == 0


async def test_requests_leave_customer_reviews_untouched(store: Store, backends: Backends) -> None:
    with store.reading() as conn:
        before = [dict(r) for r in conn.execute(select(reviews).order_by(reviews.c.id)).mappings()]
    async with mcp_session("reviews", backends) as s:
        await call_ok(s, "request_reviews", request(pick(store, 5)))
    with store.reading() as conn:
        assert [dict(r) for r in conn.execute(select(reviews).order_by(reviews.c.id)).mappings()] == before
