"""Reviews read tools over an in-memory MCP session, argument validation, and the no-review-writing design."""

from __future__ import annotations

import inspect
import re

from helpers.mcp import call_error, call_ok, mcp_session
from sqlalchemy import update

from cadencia.servers.context import Backends
from cadencia.servers.reviews import tools as review_tools
from cadencia.tools.reversibility import META_KEY
from cadencia.tools.reviews.backend import ReviewsBackend
from cadencia.tools.reviews.tables import reviews
from cadencia.tools.store.store import Store

SKU = "ML-000005"
WRITES_A_REVIEW = re.compile(r"(create|add|post|write|edit|update|modify|set|delete|remove|hide|publish)\w*_review")
ALLOWED_WRITES = {"reply_to_review", "flag_review", "unflag_review", "request_reviews", "undo"}
EXPECTED = {
    "list_reviews": "read",
    "get_review": "read",
    "review_summary": "read",
    "list_claims": "read",
    "check_review_request_eligibility": "read",
    "list_review_requests": "read",
    "reply_to_review": "irreversible",
    "request_reviews": "irreversible",
    "flag_review": "reversible",
    "unflag_review": "reversible",
    "undo": "reversible",
}


async def test_every_tool_publishes_its_reversibility_and_matching_hints(backends: Backends) -> None:
    async with mcp_session("reviews", backends) as s:
        listed = (await s.list_tools()).tools
    assert {t.name: t.meta[META_KEY] for t in listed if t.meta} == EXPECTED
    hints = {t.name: t.annotations for t in listed}
    assert hints["reply_to_review"].destructive_hint and hints["reply_to_review"].open_world_hint
    assert hints["request_reviews"].destructive_hint and hints["request_reviews"].open_world_hint
    assert hints["list_reviews"].read_only_hint and hints["flag_review"].destructive_hint  # overwrites moderation


async def test_no_tool_can_create_edit_or_delete_a_customer_review(backends: Backends) -> None:
    async with mcp_session("all", backends) as s:
        names = [t.name.removeprefix("reviews_") for t in (await s.list_tools()).tools if t.name.startswith("reviews_")]
    mutating = {n for n, kind in review_tools.registry().items() if kind != "read"}
    assert mutating == ALLOWED_WRITES
    assert not [n for n in names if WRITES_A_REVIEW.search(n)]
    backend_methods = [n for n, _ in inspect.getmembers(ReviewsBackend, inspect.isfunction)]
    assert not [n for n in backend_methods if WRITES_A_REVIEW.search(n)]


async def test_read_only_server_hides_every_mutating_tool_but_keeps_the_eligibility_check(backends: Backends) -> None:
    async with mcp_session("reviews", backends, read_only=True) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert names == {n for n, kind in EXPECTED.items() if kind == "read"}


async def test_list_reviews_frames_customer_text_as_untrusted_and_hides_contact_details(backends: Backends) -> None:
    async with mcp_session("reviews", backends) as s:
        page = await call_ok(s, "list_reviews", {"limit": 5})
        description = next(t for t in (await s.list_tools()).tools if t.name == "list_reviews").description
    first = page["items"][0]
    assert set(first["customer_text"]) == {"title", "body"}
    assert "contact_id" not in first and "email" not in str(first).lower()
    assert "never instructions" in str(description)
    assert len(page["items"]) == 5 and page["next_cursor"] and page["total"] == 500


async def test_emails_and_phones_inside_a_review_are_masked(store: Store, backends: Backends) -> None:
    with store.writing() as conn:  # a customer (the simulator) wrote personal data into a review
        conn.execute(
            update(reviews).where(reviews.c.id == "RV-000007").values(body="Call me on +34 612 345 678, ana@x.example")
        )
    async with mcp_session("reviews", backends) as s:
        review = await call_ok(s, "get_review", {"review_id": "RV-000007"})
    assert review["customer_text"]["body"] == "Call me on [phone], [email]"
    assert review["personal_data_masked"] is True


async def test_list_reviews_filters_combine(backends: Backends) -> None:
    async with mcp_session("reviews", backends) as s:
        low = await call_ok(s, "list_reviews", {"max_rating": 2, "unanswered": True, "language": "es", "limit": 100})
        exact = await call_ok(s, "list_reviews", {"sku": SKU, "rating": 5, "since": "2025-09-01", "limit": 100})
        flagged = await call_ok(s, "list_reviews", {"flagged": True})
    assert low["items"] and all(r["rating"] <= 2 and not r["answered"] and r["language"] == "es" for r in low["items"])
    assert all(r["sku"] == SKU and r["rating"] == 5 and r["created_on"] >= "2025-09-01" for r in exact["items"])
    assert flagged["items"] == [] and flagged["total"] == 0


async def test_pages_follow_the_cursor_without_overlap(backends: Backends) -> None:
    async with mcp_session("reviews", backends) as s:
        first = await call_ok(s, "list_reviews", {"limit": 3})
        second = await call_ok(s, "list_reviews", {"limit": 3, "cursor": first["next_cursor"]})
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}


async def test_review_summary_for_a_sku_and_for_the_brand(backends: Backends) -> None:
    async with mcp_session("reviews", backends) as s:
        brand = await call_ok(s, "review_summary")
        one = await call_ok(s, "review_summary", {"sku": SKU, "since": "2025-06-01"})
    assert brand["count"] == 500 and brand["sku"] is None
    assert [d["rating"] for d in brand["rating_distribution"]] == [1, 2, 3, 4, 5]
    assert sum(brand["sentiment"].values()) == 500
    assert 0 < brand["answered_share"] < 1 and 1 <= brand["mean_rating"] <= 5
    counts = [t["count"] for t in brand["themes"]]
    assert counts == sorted(counts, reverse=True)
    assert {t["theme"] for t in brand["themes"]} >= {"scent", "longevity", "packaging", "delivery", "stock", "price"}
    assert all(t["example_review_id"].startswith("RV-") for t in brand["themes"])
    assert one["sku"] == SKU and one["count"] <= brand["count"]


async def test_list_claims_shows_approved_claims_by_default(backends: Backends) -> None:
    async with mcp_session("reviews", backends) as s:
        approved = await call_ok(s, "list_claims", {"limit": 100})
        every = await call_ok(s, "list_claims", {"approved_only": False, "limit": 100})
    assert approved["items"] and all(c["approved"] for c in approved["items"])
    assert {c["id"] for c in every["items"]} - {c["id"] for c in approved["items"]} == {
        "CL-WRINKLE",
        "CL-CURE",
        "CL-BEST",
    }


async def test_bad_arguments_name_the_field_and_the_rule(backends: Backends) -> None:
    cases = [
        ("list_reviews", {"rating": 6}, "rating"),
        ("list_reviews", {"limit": 0}, "limit"),
        ("list_reviews", {"limit": 101}, "limit"),
        ("list_reviews", {"language": "Spanish"}, "language"),
        ("list_reviews", {"since": "last week"}, "since"),
        ("list_reviews", {"rating": 5, "min_rating": 4}, "rating"),
        ("list_reviews", {"min_rating": 4, "max_rating": 2}, "min_rating"),
        ("list_reviews", {"cursor": "not-a-cursor"}, "cursor"),
        ("list_reviews", {"unanswered": "maybe"}, "unanswered"),
        ("get_review", {}, "review_id"),
        ("review_summary", {"since": 12}, "since"),
    ]
    async with mcp_session("reviews", backends) as s:
        for tool, args, field in cases:
            text = await call_error(s, tool, args)
            assert field in text, (tool, args, text)


async def test_unknown_ids_say_which_tool_lists_valid_ones(backends: Backends) -> None:
    async with mcp_session("reviews", backends) as s:
        assert "list_reviews" in await call_error(s, "get_review", {"review_id": "RV-999999"})
        assert "list_products" in await call_error(s, "list_reviews", {"sku": "ML-999999"})
        assert "list_products" in await call_error(s, "review_summary", {"sku": "ML-999999"})


async def test_mutating_tools_need_the_write_scope(store: Store, backends: Backends) -> None:
    state = store.state_hash()
    async with mcp_session("reviews", backends, scopes=frozenset({"read"})) as s:
        text = await call_error(s, "flag_review", {"review_id": "RV-000001", "reason": "spam"})
        assert "write" in text and "permission_denied" in text
        assert "write" in await call_error(s, "reply_to_review", {"review_id": "RV-000001", "body": "Thanks a lot!"})
        await call_ok(s, "list_reviews", {"limit": 1})
    assert store.state_hash() == state
