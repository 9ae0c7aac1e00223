"""The Google Business Profile reviews adapter against a fake seeded from the sandbox reviews (respx; no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from vendor_fakes import build as b
from vendor_fakes.google_ads import ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN
from vendor_fakes.google_business import FakeGoogleBusiness

from cadencia.tools.crm.models import Channel
from cadencia.tools.errors import NotSupported, VendorError
from cadencia.tools.reviews.models import FlagReason
from cadencia.tools.reviews.vendors.google_business import GoogleBusinessReviews
from cadencia.tools.store.store import Store

BODY = "Thank you for your kind words about the texture."


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def fake(respx_mock: respx.MockRouter, store: Store) -> FakeGoogleBusiness:
    fake = FakeGoogleBusiness.from_store(store)
    b.route_google_business(respx_mock, fake)
    return fake


def gbp(store: Store, client: httpx.AsyncClient, *, shadow: bool = False) -> GoogleBusinessReviews:
    backend = b.build(store, client, b.config(reviews=b.GOOGLE_BUSINESS), shadow=shadow).reviews
    assert isinstance(backend, GoogleBusinessReviews)
    return backend


def unanswered(fake: FakeGoogleBusiness) -> str:
    return next(r["reviewId"] for r in fake.reviews.values() if "reviewReply" not in r)


async def test_lists_in_pages_of_fifty_and_refuses_filters_google_cannot_apply(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleBusiness, respx_mock: respx.MockRouter
) -> None:
    reviews = gbp(store, client)
    page = await reviews.list_reviews(limit=80)
    assert len(page.items) == 80 and page.next_cursor and page.items[0].sku == "location:4445556667"
    lists = [c.request for c in respx_mock.calls if c.request.url.host == "mybusiness.googleapis.com"]
    assert [dict(r.url.params)["pageSize"] for r in lists] == ["50", "50"]
    assert all(r.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}" for r in lists)
    with pytest.raises(NotSupported, match="filtering by sku"):
        await reviews.list_reviews(sku="ML-000005")
    with pytest.raises(NotSupported, match="language"):
        await reviews.list_reviews(language="es")
    with pytest.raises(NotSupported, match="per-sku"):
        await reviews.review_summary(sku="ML-000005")
    with pytest.raises(NotSupported, match="CRM backend"):
        await reviews.list_review_requests()
    with pytest.raises(NotSupported, match="no API"):
        await reviews.request_reviews(sku="ML-1", contact_ids=[], channel=Channel.EMAIL, dry_run=True)


async def test_a_reply_is_put_once_paced_and_a_reply_made_elsewhere_cites_no_claims(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleBusiness, respx_mock: respx.MockRouter
) -> None:
    reviews = gbp(store, client)
    assert (reviews.edits.max_rate, reviews.edits.time_period) == (10, 60)
    review_id = unanswered(fake)
    done = await reviews.reply_to_review(review_id=review_id, body=BODY, claim_ids=["CL-VEGAN"])
    assert done.reply.claim_ids == ["CL-VEGAN"] and fake.edits == [(review_id, BODY)]
    put = next(c.request for c in respx_mock.calls if c.request.method == "PUT")
    assert json.loads(put.content) == {"comment": BODY} and put.url.path.endswith(f"/reviews/{review_id}/reply")
    fake.reviews[review_id]["reviewReply"]["comment"] = "Edited in the Google dashboard."
    shown = await reviews.get_review(review_id=review_id)
    assert shown.reply is not None and shown.reply.claim_ids == [] and shown.answered


async def test_shadow_mode_proposes_replies_but_keeps_internal_flags_working(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleBusiness
) -> None:
    reviews = gbp(store, client, shadow=True)
    before = fake.state()
    review_id = unanswered(fake)
    proposed = await reviews.reply_to_review(review_id=review_id, body=BODY, claim_ids=[])
    assert proposed.review.answered and fake.state() == before and fake.edits == []
    flagged = await reviews.flag_review(review_id=review_id, reason=FlagReason.SPAM, note="")
    assert (await reviews.get_review(review_id=review_id)).flag is not None
    await reviews.undo(token=flagged.undo_token or "")
    assert (await reviews.get_review(review_id=review_id)).flag is None
    assert [(p.tool, p.verdict) for p in reviews._writes.ledger.proposals()] == [("reply_to_review", "would_apply")]


async def test_quota_errors_are_retried_and_credentials_never_appear_in_errors(
    store: Store, client: httpx.AsyncClient, fake: FakeGoogleBusiness, respx_mock: respx.MockRouter
) -> None:
    reviews = gbp(store, client)
    fake.throttle_next = 1
    assert (await reviews.get_review(review_id="RV-000001")).id == "RV-000001"
    respx_mock.route(host="mybusiness.googleapis.com").mock(
        return_value=httpx.Response(
            403,
            json={"error": {"code": 403, "message": f"denied for {ACCESS_TOKEN}", "status": "PERMISSION_DENIED"}},
        )
    )
    with pytest.raises(VendorError, match="denied") as caught:
        await reviews.get_review(review_id="RV-000001")
    text = str(caught.value)
    assert ACCESS_TOKEN not in text and REFRESH_TOKEN not in text and CLIENT_SECRET not in text
