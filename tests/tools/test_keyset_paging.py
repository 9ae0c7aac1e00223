"""Keyset cursors page exactly as the OFFSET cursors did: every list, paged through, yields the same rows in the
same order (pinned from the OFFSET implementation, commit cc5e29a, on the seeded small world), on SQLite and
PostgreSQL; any page size gives the same items; a cursor that is not ours, of another shape, or huge is a field error.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.crm.models import Channel
from cadencia.tools.crm.sandbox import BY_CONTACT
from cadencia.tools.errors import InvalidArgument
from cadencia.tools.inventory.models import Category
from cadencia.tools.inventory.sandbox import BY_STOCK_KEY
from cadencia.tools.paging import MAX_CURSOR_CHARS, encode_cursor
from cadencia.tools.reviews.sandbox import NEWEST_REVIEW_FIRST
from cadencia.tools.store.store import Store

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("inventory", "list_products", {}),
    ("inventory", "list_products", {"category": Category("makeup")}),
    ("inventory", "list_products", {"query": "a"}),
    ("inventory", "get_stock", {}),
    ("inventory", "get_stock", {"warehouse_id": "WH-BOG"}),
    ("inventory", "get_stock", {"max_days_of_cover": 20.0}),
    ("inventory", "list_forecasts", {}),
    ("inventory", "list_forecasts", {"reorder_only": True}),
    ("crm", "find_contacts", {}),
    ("crm", "find_contacts", {"country": "FR"}),
    ("crm", "find_contacts", {"consent_channel": Channel("sms"), "language": "es"}),
    ("crm", "find_contacts", {"segment_id": "SEG-VIP"}),
    ("crm", "list_segments", {}),
    ("reviews", "list_reviews", {}),
    ("reviews", "list_reviews", {"max_rating": 2, "unanswered": True}),
    ("reviews", "list_claims", {}),
    ("ads", "list_campaigns", {}),
    ("ads", "list_claims", {"approved_only": False}),
]

OFFSET_PAGING = {
    "inventory.list_products []": (40, "c73075e165631d44"),
    "inventory.list_products [('category', 'makeup')]": (13, "ab0e0e787d122bd6"),
    "inventory.list_products [('query', 'a')]": (24, "159471c8f285722b"),
    "inventory.get_stock []": (80, "8e84555ce97cd5fc"),
    "inventory.get_stock [('warehouse_id', 'WH-BOG')]": (40, "0f50fe2fb36286db"),
    "inventory.get_stock [('max_days_of_cover', '20.0')]": (51, "3003dfac7470353e"),
    "inventory.list_forecasts []": (40, "c73075e165631d44"),
    "inventory.list_forecasts [('reorder_only', 'True')]": (18, "4efa33c0906fedab"),
    "crm.find_contacts []": (2000, "eaff993d7a22c646"),
    "crm.find_contacts [('country', 'FR')]": (500, "6c17324e5313b318"),
    "crm.find_contacts [('consent_channel', 'sms'), ('language', 'es')]": (309, "84fa2b55622f727b"),
    "crm.find_contacts [('segment_id', 'SEG-VIP')]": (103, "e2b7a1d95f5ea65d"),
    "crm.list_segments []": (3, "4a04c70e0aa081c5"),
    "reviews.list_reviews []": (500, "5300f318f8b0f2d4"),
    "reviews.list_reviews [('max_rating', '2'), ('unanswered', 'True')]": (60, "95887531ae2b6dfd"),
    "reviews.list_claims []": (10, "cb35cc28a266e776"),
    "ads.list_campaigns []": (9, "c35bc7953413a9c2"),
    "ads.list_claims [('approved_only', 'False')]": (13, "4292e796098f6279"),
}
"""(rows, sha256 of their keys one per line, first 16 hex) of each case, paged 3 at a time by the OFFSET cursors."""


def _key(item: Any) -> str:
    row = item.model_dump()
    if "warehouse_id" in row:
        return f"{row['sku']}/{row['warehouse_id']}"
    return str(row.get("id") or row.get("sku"))


async def _page_through(
    backends: Backends, capability: str, method: str, args: dict[str, Any], limit: int
) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        page = await getattr(getattr(backends, capability), method)(**args, cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        items += page.items
        if (cursor := page.next_cursor) is None:
            return items


def _label(capability: str, method: str, args: dict[str, Any]) -> str:
    return f"{capability}.{method} {sorted((k, str(v)) for k, v in args.items())}"


async def test_every_list_pages_through_the_same_rows_in_the_same_order_as_offset_paging(any_store: Store) -> None:
    backends = sandbox_backends(any_store)
    for capability, method, args in CASES:
        small = await _page_through(backends, capability, method, args, limit=3)
        large = await _page_through(backends, capability, method, args, limit=100)
        keys = [_key(item) for item in small]
        assert (len(keys), hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]) == OFFSET_PAGING[
            _label(capability, method, args)
        ], _label(capability, method, args)
        assert small == large, _label(capability, method, args)


async def test_a_page_starts_right_after_the_cursor_row_even_when_rows_before_it_are_removed(store: Store) -> None:
    backends = sandbox_backends(store)
    first = await backends.inventory.get_stock(limit=5)
    with store.writing() as conn:
        conn.exec_driver_sql("DELETE FROM stock WHERE sku = 'ML-000000'")
    second = await backends.inventory.get_stock(cursor=first.next_cursor, limit=5)
    assert first.next_cursor == BY_STOCK_KEY.encode(["ML-000002", "WH-BOG"])
    assert [(s.sku, s.warehouse_id) for s in second.items[:2]] == [("ML-000002", "WH-MAD"), ("ML-000003", "WH-BOG")]


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("garbage!", "not one this server issued"),
        (encode_cursor(20), "not one this server issued"),
        (BY_CONTACT.encode(["C-0000001", "extra"]), "not one this server issued"),
        (NEWEST_REVIEW_FIRST.encode(["2026-01-01", "RV-000001"]), "not one this server issued"),
        (BY_CONTACT.encode([None]), "not one this server issued"),
        (BY_CONTACT.encode([["C-0000001"]]), "not one this server issued"),
        ("QQ" * MAX_CURSOR_CHARS, "longer than any"),
    ],
)
async def test_a_cursor_that_is_not_ours_is_a_field_error(backends: Backends, cursor: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as refused:
        await backends.crm.find_contacts(cursor=cursor)
    assert refused.value.field == "cursor"
