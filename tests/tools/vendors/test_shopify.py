"""The Shopify inventory adapter against a stateful fake Admin GraphQL API (respx; no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import respx
from vendor_fakes import build as b
from vendor_fakes.shopify import TOKEN, FakeShopify

from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, NotSupported, PolicyViolation, VendorError
from cadencia.tools.inventory.models import Category, PromotionStatus
from cadencia.tools.inventory.vendors.shopify import ShopifyInventory
from cadencia.tools.store.store import Store

SKU = "ML-000001"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def fake(respx_mock: respx.MockRouter) -> FakeShopify:
    fake = FakeShopify()
    b.route_shopify(respx_mock, fake)
    return fake


def shopify(store: Store, client: httpx.AsyncClient, *, shadow: bool = False) -> ShopifyInventory:
    backend = b.build(store, client, b.config(inventory=b.SHOPIFY), shadow=shadow).inventory
    assert isinstance(backend, ShopifyInventory)
    backend._today = lambda: b.TODAY
    return backend


async def test_reads_map_variants_levels_and_categories(store: Store, client: httpx.AsyncClient, fake: FakeShopify):
    inventory = shopify(store, client)
    page = await inventory.list_products(limit=100)
    assert [p.sku for p in page.items] == ["ML-000001", "ML-000002"]
    product = await inventory.get_product(sku=SKU)
    assert (product.price_minor, product.cost_minor, product.category) == (2690, 834, Category.MAKEUP)
    assert product.price_floor_minor == max(-(-834 * 110 // 100), -(-2690 * 60 // 100))
    stock = await inventory.get_stock(sku=SKU)
    assert [(s.warehouse_id, s.on_hand, s.available, s.reserved) for s in stock.items] == [("11", 133, 130, 3)]
    with pytest.raises(NotFound, match="list_products"):
        await inventory.get_product(sku="ML-999999")
    with pytest.raises(NotSupported, match="not supported by Shopify"):
        await inventory.create_purchase_order(sku=SKU, warehouse_id="11", quantity=5)


async def test_stock_write_is_compare_and_set_with_an_idempotency_key_and_undo_compensates(
    store: Store, client: httpx.AsyncClient, fake: FakeShopify, respx_mock: respx.MockRouter
):
    inventory = shopify(store, client)
    with pytest.raises(Conflict, match="expected_on_hand"):
        await inventory.adjust_stock(sku=SKU, warehouse_id="11", delta=1, expected_on_hand=1, reason="recount")
    with pytest.raises(PolicyViolation, match="negative"):
        await inventory.adjust_stock(sku=SKU, warehouse_id="11", delta=-134, expected_on_hand=133, reason="lost")
    assert fake.mutations == []
    done = await inventory.adjust_stock(
        sku=SKU, warehouse_id="11", delta=-3, expected_on_hand=133, reason="lost", idempotency_key="k-1"
    )
    again = await inventory.adjust_stock(
        sku=SKU, warehouse_id="11", delta=-3, expected_on_hand=133, reason="lost", idempotency_key="k-1"
    )
    assert again == done and done.on_hand == 130 and fake.mutations == ["SetQuantities"]
    sent = next(json.loads(c.request.content) for c in respx_mock.calls if b"SetQuantities" in c.request.content)
    assert sent["variables"]["key"] == "k-1"
    assert sent["variables"]["input"]["quantities"][0]["changeFromQuantity"] == 133
    with pytest.raises(Conflict, match="idempotency_key"):
        await inventory.adjust_stock(
            sku=SKU, warehouse_id="11", delta=-4, expected_on_hand=133, reason="lost", idempotency_key="k-1"
        )
    assert done.undo_token
    await inventory.undo(token=done.undo_token)
    assert fake.levels[("gid://shopify/InventoryItem/1", "gid://shopify/Location/11")]["on_hand"] == 133
    with pytest.raises(Conflict, match="already used"):
        await inventory.undo(token=done.undo_token)


async def test_undo_refuses_when_the_vendor_moved_the_stock_since(
    store: Store, client: httpx.AsyncClient, fake: FakeShopify
):
    inventory = shopify(store, client)
    done = await inventory.adjust_stock(sku=SKU, warehouse_id="11", delta=5, expected_on_hand=133, reason="found")
    fake.levels[("gid://shopify/InventoryItem/1", "gid://shopify/Location/11")]["on_hand"] = 120  # a sale in Shopify
    with pytest.raises(Conflict, match="stale"):
        await inventory.undo(token=done.undo_token or "")
    assert fake.levels[("gid://shopify/InventoryItem/1", "gid://shopify/Location/11")]["on_hand"] == 120


async def test_price_floors_hold_and_a_price_undo_is_read_compare_write(
    store: Store, client: httpx.AsyncClient, fake: FakeShopify
):
    inventory = shopify(store, client)
    with pytest.raises(PolicyViolation, match="floor 1614"):
        await inventory.set_price(sku=SKU, price_minor=1613, currency="EUR")
    with pytest.raises(InvalidArgument, match="priced in EUR"):
        await inventory.set_price(sku=SKU, price_minor=2590, currency="COP")
    cut = await inventory.set_price(sku=SKU, price_minor=2152, currency="EUR")
    assert fake.variants[SKU]["price"] == "21.52" and cut.previous_price_minor == 2690
    fake.variants[SKU]["price"] = "22.00"
    with pytest.raises(Conflict, match="stale"):
        await inventory.undo(token=cut.undo_token or "")
    fake.variants[SKU]["price"] = "21.52"
    await inventory.undo(token=cut.undo_token or "")
    assert fake.variants[SKU]["price"] == "26.90"


async def test_promotions_are_automatic_discounts_and_undo_deletes_the_created_one(
    store: Store, client: httpx.AsyncClient, fake: FakeShopify
):
    inventory = shopify(store, client)
    with pytest.raises(PolicyViolation, match="maximum 40%"):
        await inventory.schedule_promotion(
            sku=SKU, discount_pct=41, starts_on=date(2026, 3, 3), ends_on=date(2026, 3, 8), label="Deep"
        )
    promo = await inventory.schedule_promotion(
        sku=SKU, discount_pct=25, starts_on=date(2026, 3, 3), ends_on=date(2026, 3, 8), label="Spring"
    )
    listed = (await inventory.list_promotions(sku=SKU)).items
    assert [(p.id, p.discount_pct, p.ends_on, p.status) for p in listed] == [
        (promo.promotion.id, 25, date(2026, 3, 8), PromotionStatus.SCHEDULED)
    ]
    ended = await inventory.end_promotion(promotion_id=promo.promotion.id)
    assert ended.promotion.status is PromotionStatus.ENDED
    await inventory.undo(token=ended.undo_token or "")
    await inventory.undo(token=promo.undo_token or "")
    assert fake.discounts == {}


async def test_shadow_mode_reads_live_and_records_writes_as_proposals_without_sending(
    store: Store, client: httpx.AsyncClient, fake: FakeShopify
):
    inventory = shopify(store, client, shadow=True)
    proposed = await inventory.adjust_stock(sku=SKU, warehouse_id="11", delta=-3, expected_on_hand=133, reason="x")
    assert proposed.on_hand == 130 and proposed.undo_token is None
    with pytest.raises(PolicyViolation):
        await inventory.set_price(sku=SKU, price_minor=100, currency="EUR")
    assert fake.mutations == []
    proposals = inventory._writes.ledger.proposals()
    assert [(p.tool, p.verdict) for p in proposals] == [("adjust_stock", "would_apply"), ("set_price", "refused")]
    assert "133 → 130" in proposals[0].effect and "floor" in proposals[1].detail


async def test_throttling_is_retried_and_auth_errors_never_echo_the_token(
    store: Store, client: httpx.AsyncClient, fake: FakeShopify, respx_mock: respx.MockRouter
):
    inventory = shopify(store, client)
    fake.throttle_next = 2
    assert (await inventory.get_product(sku=SKU)).sku == SKU
    respx_mock.route(host="lysa.myshopify.com").mock(
        return_value=httpx.Response(401, json={"errors": f"[API] Invalid API key or access token {TOKEN}"})
    )
    with pytest.raises(VendorError, match="access token") as caught:
        await shopify(store, client).get_product(sku=SKU)
    assert TOKEN not in str(caught.value)


async def test_sales_report_comes_from_the_synced_order_mirror(
    store: Store, client: httpx.AsyncClient, fake: FakeShopify
):
    inventory = shopify(store, client)
    with pytest.raises(VendorError, match="cadencia sync"):
        await inventory.sales_report()
    assert await inventory.sync_orders() == 1
    report = await inventory.sales_report(since=date(2026, 3, 1), until=date(2026, 3, 1))
    assert (report.units, report.revenue_minor, report.cogs_minor, report.skus) == (2, 5380, 1668, 1)
