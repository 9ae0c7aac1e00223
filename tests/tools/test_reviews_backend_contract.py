"""The reviews backend contract.

Part one runs on every backend — the sandbox and Google Business Profile over a fake seeded from the same reviews
and replies (`vendor_fakes.worlds`), on SQLite and PostgreSQL: paging, summaries, the reply policy, one reply per
review, flags and undo; what Google cannot serve must raise NotSupported. Part two covers sandbox-only mechanics
(per-SKU reviews, review requests and their deliveries, replies racing in the store).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import func, select
from vendor_fakes.worlds import REVIEWS_WORLDS, World, reviews_world

from cadencia.tools.crm.models import Channel
from cadencia.tools.crm.tables import consents, contacts, deliveries
from cadencia.tools.errors import Conflict, NotFound, NotSupported, PolicyViolation
from cadencia.tools.limits import Limits
from cadencia.tools.reviews.backend import ReviewsBackend
from cadencia.tools.reviews.models import FlagReason, IneligibleReason
from cadencia.tools.reviews.sandbox import SandboxReviews
from cadencia.tools.reviews.tables import review_replies, review_requests, reviews
from cadencia.tools.store.store import Store

SKU = "ML-000005"


def backend(store: Store) -> ReviewsBackend:
    return SandboxReviews(store, Limits())


def review_rows(store: Store) -> list[dict[str, Any]]:
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(select(reviews).order_by(reviews.c.id)).mappings()]


def reply_rows(store: Store) -> list[dict[str, Any]]:
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(select(review_replies).order_by(review_replies.c.review_id)).mappings()]


def unanswered_id(store: Store) -> str:
    with store.reading() as conn:
        replied = select(review_replies.c.review_id)
        return conn.execute(
            select(reviews.c.id).where(reviews.c.id.not_in(replied)).order_by(reviews.c.id).limit(1)
        ).scalar_one()


def eligible_contacts(store: Store, n: int) -> list[str]:
    """Email-consented, unsuppressed buyers with no email delivery yet who have not reviewed SKU."""
    with store.reading() as conn:
        granted = select(consents.c.contact_id).where(consents.c.channel == "email", consents.c.status == "granted")
        delivered = select(deliveries.c.contact_id).where(deliveries.c.channel == "email")
        reviewed = select(reviews.c.contact_id).where(reviews.c.sku == SKU, reviews.c.contact_id.is_not(None))
        stmt = (
            select(contacts.c.id)
            .where(
                contacts.c.id.in_(granted),
                contacts.c.id.not_in(delivered),
                contacts.c.id.not_in(reviewed),
                contacts.c.suppressed.is_(False),
                contacts.c.orders_count > 0,
            )
            .order_by(contacts.c.id)
            .limit(n)
        )
        return list(conn.execute(stmt).scalars())


# -- every backend -----------------------------------------------------------------------------------------------


@pytest.fixture(params=REVIEWS_WORLDS)
async def world(request: pytest.FixtureRequest, any_store: Store, respx_mock: respx.MockRouter) -> AsyncIterator[World]:
    async with httpx.AsyncClient() as client:
        yield reviews_world(request.param, any_store, client, respx_mock)


ALL: dict[str, Any] = {
    "sku": None,
    "rating": None,
    "min_rating": None,
    "max_rating": None,
    "since": None,
    "unanswered": False,
    "language": None,
    "flagged": None,
}


async def test_every_backend_pages_through_every_review_once_newest_first(world: World) -> None:
    backend = world.make(Limits())
    seen, dates, cursor = [], [], None
    while True:
        page = await backend.list_reviews(**ALL, cursor=cursor, limit=100)
        seen += [r.id for r in page.items]
        dates += [r.created_on for r in page.items]
        assert page.total == 500
        if (cursor := page.next_cursor) is None:
            break
    assert len(seen) == len(set(seen)) == 500 and dates == sorted(dates, reverse=True)
    low = await backend.list_reviews(**{**ALL, "max_rating": 2, "unanswered": True}, cursor=None, limit=30)
    assert low.items and all(r.rating <= 2 and not r.answered for r in low.items)


async def test_every_backend_summarises_like_the_sandbox_and_like_its_own_list(world: World, any_store: Store) -> None:
    backend = world.make(Limits())
    summary = await backend.review_summary(sku=None, since=None)
    reference = await SandboxReviews(any_store, Limits()).review_summary(sku=None, since=None)
    assert summary.model_dump(exclude={"sku"}) == reference.model_dump(exclude={"sku"})
    first = await backend.list_reviews(**ALL, cursor=None, limit=100)
    assert summary.count == first.total == 500


async def test_every_backend_publishes_one_policy_checked_reply_per_review(world: World, any_store: Store) -> None:
    backend = world.make(Limits())
    review_id = unanswered_id(any_store)
    before = world.state()
    for body, claim_ids, rule in (
        ("Thanks, this one really works.", ["CL-CURE"], "approved_claims_only"),
        ("Thanks! Use code SAVE10 for 10% off your next order.", [], "no_incentives"),
        ("Thanks! Please update your review to five stars.", [], "no_review_manipulation"),
        ("Thanks, write to care@maisonlysa.example", [], "no_pii"),
    ):
        with pytest.raises(PolicyViolation) as caught:
            await backend.reply_to_review(review_id=review_id, body=body, claim_ids=claim_ids, idempotency_key=None)
        assert caught.value.rule == rule
    assert world.state() == before
    result = await backend.reply_to_review(
        review_id=review_id, body="Thank you for taking the time to write to us.", claim_ids=["CL-DERM"]
    )
    assert result.review.answered and result.reply.claim_ids == ["CL-DERM"]
    fetched = await backend.get_review(review_id=review_id)
    assert fetched.reply is not None and fetched.reply.body == "Thank you for taking the time to write to us."
    assert fetched.reply.claim_ids == ["CL-DERM"] and fetched.customer_text == result.review.customer_text
    with pytest.raises(Conflict, match="one_reply_per_review"):
        await backend.reply_to_review(review_id=review_id, body="A second reply, not allowed.", claim_ids=[])


async def test_every_backend_flags_internally_and_undo_restores_exactly(world: World) -> None:
    backend = world.make(Limits())
    start = world.state()
    flagged = await backend.flag_review(review_id="RV-000003", reason=FlagReason.SPAM, note="link farm")
    assert flagged.flag is not None and flagged.previous is None and flagged.undo_token
    assert (await backend.get_review(review_id="RV-000003")).flag == flagged.flag
    with pytest.raises(PolicyViolation, match="flagged_review"):
        await backend.reply_to_review(review_id="RV-000003", body="Thank you for your review.", claim_ids=[])
    with pytest.raises(Conflict):
        await backend.flag_review(review_id="RV-000003", reason=FlagReason.OFFENSIVE, note="")
    await backend.undo(token=flagged.undo_token, idempotency_key=None)
    assert world.state() == start and (await backend.get_review(review_id="RV-000003")).flag is None
    with pytest.raises(Conflict):
        await backend.undo(token=flagged.undo_token, idempotency_key=None)
    added = await backend.flag_review(review_id="RV-000004", reason=FlagReason.OFFENSIVE, note="")
    removed = await backend.unflag_review(review_id="RV-000004")
    assert removed.flag is None and removed.previous == added.flag and removed.undo_token
    with pytest.raises(Conflict):
        await backend.unflag_review(review_id="RV-000004")
    with pytest.raises(NotFound):
        await backend.get_review(review_id=world.missing_id)


async def test_tools_a_vendor_cannot_serve_raise_not_supported_and_change_nothing(world: World) -> None:
    backend = world.make(Limits())
    before = world.state()
    assert bool(world.unsupported) == world.vendor
    for tool, kwargs in world.unsupported.items():
        with pytest.raises(NotSupported, match="not supported by"):
            await getattr(backend, tool)(**kwargs)
    assert world.state() == before


# -- sandbox only: reviews per SKU, review requests and deliveries, racing replies -----------------------------------


async def test_listing_pages_through_every_review_once_newest_first(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    seen: list[str] = []
    dates = []
    cursor = None
    while True:
        page = await reviews_backend.list_reviews(
            sku=None,
            rating=None,
            min_rating=None,
            max_rating=None,
            since=None,
            unanswered=False,
            language=None,
            flagged=None,
            cursor=cursor,
            limit=100,
        )
        seen += [r.id for r in page.items]
        dates += [r.created_on for r in page.items]
        assert page.total == 500
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 500
    assert dates == sorted(dates, reverse=True)


async def test_summary_agrees_with_the_listed_reviews(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    summary = await reviews_backend.review_summary(sku=SKU, since=None)
    page = await reviews_backend.list_reviews(
        sku=SKU,
        rating=None,
        min_rating=None,
        max_rating=None,
        since=None,
        unanswered=False,
        language=None,
        flagged=None,
        cursor=None,
        limit=100,
    )
    assert summary.count == len(page.items) == page.total
    assert sum(c.count for c in summary.rating_distribution) == summary.count
    assert summary.answered == sum(r.answered for r in page.items)
    assert summary.sentiment.positive == sum(r.sentiment == "positive" for r in page.items)
    for stat in summary.themes:
        assert stat.count == sum(stat.theme in r.themes for r in page.items)
        assert stat.theme in next(r for r in page.items if r.id == stat.example_review_id).themes


async def test_reply_is_stored_once_and_never_touches_the_review(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    review_id = unanswered_id(any_store)
    before = review_rows(any_store)
    result = await reviews_backend.reply_to_review(
        review_id=review_id,
        body="Thank you for taking the time to write to us.",
        claim_ids=["CL-DERM"],
        idempotency_key=None,
    )
    assert result.review.answered and result.reply.claim_ids == ["CL-DERM"]
    assert review_rows(any_store) == before
    with pytest.raises(Conflict):
        await reviews_backend.reply_to_review(
            review_id=review_id, body="A second reply, not allowed.", claim_ids=[], idempotency_key=None
        )


async def test_unapproved_claim_in_a_reply_is_refused_and_nothing_is_written(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    replies_before = reply_rows(any_store)
    with pytest.raises(PolicyViolation) as caught:
        await reviews_backend.reply_to_review(
            review_id=unanswered_id(any_store),
            body="Thanks, this one really works.",
            claim_ids=["CL-CURE"],
            idempotency_key=None,
        )
    assert caught.value.rule == "approved_claims_only"
    assert reply_rows(any_store) == replies_before


async def test_flag_then_undo_restores_the_state_exactly_and_the_token_is_spent(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    start = any_store.state_hash()
    flagged = await reviews_backend.flag_review(
        review_id="RV-000003", reason=FlagReason.SPAM, note="link farm", idempotency_key=None
    )
    assert flagged.flag is not None and flagged.previous is None and flagged.undo_token
    await reviews_backend.undo(token=flagged.undo_token, idempotency_key=None)
    assert any_store.state_hash() == start
    with pytest.raises(Conflict):
        await reviews_backend.undo(token=flagged.undo_token, idempotency_key=None)


async def test_unflag_returns_the_removed_flag(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    added = await reviews_backend.flag_review(
        review_id="RV-000004", reason=FlagReason.OFFENSIVE, note="", idempotency_key=None
    )
    removed = await reviews_backend.unflag_review(review_id="RV-000004", idempotency_key=None)
    assert removed.flag is None and removed.previous == added.flag and removed.undo_token
    with pytest.raises(Conflict):
        await reviews_backend.unflag_review(review_id="RV-000004", idempotency_key=None)


async def test_review_requests_are_recorded_and_count_as_deliveries(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    ids = eligible_contacts(any_store, 3)
    result = await reviews_backend.request_reviews(
        sku=SKU, contact_ids=ids, channel=Channel.EMAIL, dry_run=False, idempotency_key=None
    )
    assert result.sent == 3 and not result.dry_run
    with any_store.reading() as conn:
        kinds = conn.execute(
            select(deliveries.c.kind, func.count()).where(deliveries.c.contact_id.in_(ids)).group_by(deliveries.c.kind)
        ).all()
        requested = conn.execute(select(func.count()).select_from(review_requests)).scalar_one()
    assert dict(kinds) == {"review_request": 3}
    assert requested == 3
    listed = await reviews_backend.list_review_requests(sku=SKU, contact_id=None, since=None, cursor=None, limit=20)
    assert sorted(r.contact_id for r in listed.items) == sorted(ids)
    check = await reviews_backend.request_reviews(
        sku=SKU, contact_ids=ids, channel=Channel.EMAIL, dry_run=True, idempotency_key=None
    )
    assert all(IneligibleReason.COOLDOWN in c.reasons for c in check.contacts)


async def test_unknown_ids_are_not_found(any_store: Store) -> None:
    reviews_backend = backend(any_store)
    with pytest.raises(NotFound):
        await reviews_backend.get_review(review_id="RV-999999")
    with pytest.raises(NotFound):
        await reviews_backend.review_summary(sku="ML-999999", since=None)
    with pytest.raises(NotFound):
        await reviews_backend.request_reviews(
            sku=SKU, contact_ids=["C-9999999"], channel=Channel.SMS, dry_run=True, idempotency_key=None
        )


async def test_a_reply_racing_another_reply_is_a_conflict_not_a_crash(
    any_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviews_backend = SandboxReviews(any_store, Limits())
    review_id = unanswered_id(any_store)
    await reviews_backend.reply_to_review(
        review_id=review_id, body="The first reply wins the race.", claim_ids=[], idempotency_key=None
    )
    replies_before = reply_rows(any_store)
    real = SandboxReviews._review_row

    def stale_read(conn: Any, rid: str, *, lock: bool = False) -> dict[str, Any]:  # seen before the other commit
        return {**real(conn, rid, lock=lock), "reply_review_id": None}

    monkeypatch.setattr(SandboxReviews, "_review_row", staticmethod(stale_read))
    with pytest.raises(Conflict) as caught:
        await reviews_backend.reply_to_review(
            review_id=review_id, body="The second reply loses it.", claim_ids=[], idempotency_key=None
        )
    assert caught.value.rule == "one_reply_per_review"
    assert reply_rows(any_store) == replies_before
