"""The inventory backend contract.

Part one runs on every backend — the sandbox and Shopify over a fake seeded from the same catalogue, stock per
warehouse and daily sales (`vendor_fakes.worlds`), on SQLite and PostgreSQL: reads, floors and steps, compare-and-set,
undo back to the same vendor state, sales from the order mirror; what Shopify cannot serve must raise NotSupported.
Part two covers what only the sandbox implements (forecasts, product copy, purchase orders and receiving).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import respx
from vendor_fakes.worlds import INVENTORY_WORLDS, World, inventory_world

from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, NotSupported, PolicyViolation
from cadencia.tools.inventory.models import Category, PromotionStatus, PurchaseOrderStatus
from cadencia.tools.inventory.receiving import receive_due_purchase_orders
from cadencia.tools.inventory.sandbox import SandboxInventory
from cadencia.tools.limits import Limits
from cadencia.tools.store.store import Store

SKU = "ML-000001"  # price = list 2690, cost 834, floor 1614, 133 units in WH-MAD, 39 in WH-BOG


# -- every backend -----------------------------------------------------------------------------------------------


@pytest.fixture(params=INVENTORY_WORLDS)
async def world(request: pytest.FixtureRequest, any_store: Store, respx_mock: respx.MockRouter) -> AsyncIterator[World]:
    async with httpx.AsyncClient() as client:
        yield inventory_world(request.param, any_store, client, respx_mock)


async def test_every_backend_reads_the_same_catalogue_stock_and_floors(world: World) -> None:
    inventory = world.make(Limits())
    skus: list[str] = []
    cursor = None
    while True:
        page = await inventory.list_products(cursor=cursor, limit=9)
        skus += [p.sku for p in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert skus == [f"ML-{i:06d}" for i in range(40)]
    makeup = await inventory.list_products(category=Category.MAKEUP, query="PALETTE", limit=100)
    assert SKU in {p.sku for p in makeup.items} and all(p.category is Category.MAKEUP for p in makeup.items)
    assert (await inventory.list_products(query="%", limit=100)).items == []
    product = await inventory.get_product(sku=SKU)
    assert (product.price_minor, product.cost_minor, product.price_floor_minor, product.on_hand) == (
        2690,
        834,
        1614,
        172,
    )
    levels = await inventory.get_stock(sku=SKU)
    assert {(r.warehouse_id, r.on_hand) for r in levels.items} == {(world.id("WH-MAD"), 133), (world.id("WH-BOG"), 39)}
    with pytest.raises(NotFound, match="list_products"):
        await inventory.get_product(sku="ML-999999")


async def test_every_backend_refuses_before_writing_and_undo_restores_the_vendor(world: World) -> None:
    inventory = world.make(Limits())
    mad = world.id("WH-MAD")
    before = world.state()
    with pytest.raises(Conflict, match="expected_on_hand"):
        await inventory.adjust_stock(sku=SKU, warehouse_id=mad, delta=1, expected_on_hand=1, reason="recount")
    with pytest.raises(PolicyViolation, match="stock may not go negative"):
        await inventory.adjust_stock(sku=SKU, warehouse_id=mad, delta=-134, expected_on_hand=133, reason="lost")
    with pytest.raises(PolicyViolation, match="at least 1614"):
        await inventory.set_price(sku=SKU, price_minor=1613, currency="EUR")
    with pytest.raises(PolicyViolation, match="at most 50%"):
        await inventory.set_price(sku=SKU, price_minor=4036, currency="EUR")
    with pytest.raises(InvalidArgument, match="priced in EUR"):
        await inventory.set_price(sku=SKU, price_minor=2590, currency="COP")
    with pytest.raises(PolicyViolation, match="maximum 40%"):
        await inventory.schedule_promotion(
            sku=SKU, discount_pct=41, starts_on=date(2026, 3, 3), ends_on=date(2026, 3, 8), label="Deep"
        )
    assert world.state() == before
    counted = await inventory.adjust_stock(
        sku=SKU, warehouse_id=mad, delta=-3, expected_on_hand=133, reason="lost", idempotency_key="inv-1"
    )
    again = await inventory.adjust_stock(
        sku=SKU, warehouse_id=mad, delta=-3, expected_on_hand=133, reason="lost", idempotency_key="inv-1"
    )
    assert again == counted and counted.on_hand == 130
    cut = await inventory.set_price(sku=SKU, price_minor=2152, currency="EUR")
    promo = await inventory.schedule_promotion(
        sku=SKU, discount_pct=25, starts_on=date(2026, 3, 3), ends_on=date(2026, 3, 8), label="Spring"
    )
    listed = (await inventory.list_promotions(sku=SKU, active_only=False, limit=20)).items
    assert (promo.promotion.discount_pct, promo.promotion.ends_on) == (
        25,
        date(2026, 3, 8),
    ) and promo.promotion in listed
    ended = await inventory.end_promotion(promotion_id=promo.promotion.id)
    assert ended.promotion.status is PromotionStatus.ENDED
    for change in (ended, promo, cut, counted):
        assert change.undo_token
        await inventory.undo(token=change.undo_token)
    assert world.state() == before
    with pytest.raises(Conflict, match="already used"):
        await inventory.undo(token=counted.undo_token or "")


async def test_every_backend_reports_the_same_week_of_sales(world: World, any_store: Store) -> None:
    await world.sync()
    week = await world.make(Limits()).sales_report()
    reference = await SandboxInventory(any_store).sales_report()
    assert (week.since, week.until) == (reference.since, reference.until) == (date(2026, 2, 23), date(2026, 3, 1))
    assert (week.units, week.revenue_minor, week.cogs_minor, week.skus) == (1584, 9_687_760, 2_707_265, 40)


async def test_tools_a_vendor_cannot_serve_raise_not_supported_and_change_nothing(world: World) -> None:
    inventory = world.make(Limits())
    before = world.state()
    assert bool(world.unsupported) == world.vendor
    for tool, kwargs in world.unsupported.items():
        with pytest.raises(NotSupported, match="not supported by"):
            await getattr(inventory, tool)(**kwargs)
    assert world.state() == before


# -- sandbox only: forecasts, product copy, purchase orders and receiving --------------------------------------------


async def test_reads_page_filter_and_aggregate_identically(any_store: Store) -> None:
    inventory = SandboxInventory(any_store)
    skus: list[str] = []
    cursor = None
    while True:
        page = await inventory.list_products(cursor=cursor, limit=9)
        skus += [p.sku for p in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert skus == [f"ML-{i:06d}" for i in range(40)]
    makeup = await inventory.list_products(category=Category.MAKEUP, query="PALETTE", limit=100)
    assert SKU in {p.sku for p in makeup.items} and all(p.category is Category.MAKEUP for p in makeup.items)
    assert (await inventory.list_products(query="%", limit=100)).items == []

    product = await inventory.get_product(sku=SKU)
    assert (product.price_floor_minor, product.on_hand, product.lead_time_days) == (1614, 172, 7)
    levels = await inventory.get_stock(sku=SKU)
    assert {(r.warehouse_id, r.on_hand) for r in levels.items} == {("WH-MAD", 133), ("WH-BOG", 39)}
    forecast = await inventory.forecast_demand(sku="ML-000002")
    assert (forecast.daily_demand, forecast.reorder_point, forecast.should_reorder) == (5.627, 138.6, True)
    due = await inventory.list_forecasts(reorder_only=True, limit=100)
    assert len(due.items) == 18 and all(f.should_reorder for f in due.items)
    week = await inventory.sales_report()
    assert (week.since, week.until, week.units, week.skus) == (date(2026, 2, 23), date(2026, 3, 1), 1584, 40)
    assert (week.revenue_minor, week.cogs_minor) == (9_687_760, 2_707_265)
    with pytest.raises(NotFound, match="list_products"):
        await inventory.get_product(sku="ML-999999")
    with pytest.raises(InvalidArgument, match="cursor"):
        await inventory.list_products(cursor="garbage!")


async def test_invariants_refuse_without_writing_and_undo_restores_the_state_hash(any_store: Store) -> None:
    inventory = SandboxInventory(any_store)
    before = any_store.state_hash()
    with pytest.raises(Conflict, match="expected_on_hand"):
        await inventory.adjust_stock(sku=SKU, warehouse_id="WH-MAD", delta=1, expected_on_hand=1, reason="recount")
    with pytest.raises(PolicyViolation, match="stock may not go negative"):
        await inventory.adjust_stock(sku=SKU, warehouse_id="WH-MAD", delta=-134, expected_on_hand=133, reason="lost")
    with pytest.raises(PolicyViolation, match="at least 1614"):
        await inventory.set_price(sku=SKU, price_minor=1613, currency="EUR")
    with pytest.raises(PolicyViolation, match="at most 50%"):
        await inventory.set_price(sku=SKU, price_minor=4036, currency="EUR")
    with pytest.raises(InvalidArgument, match="priced in EUR"):
        await inventory.set_price(sku=SKU, price_minor=2590, currency="COP")
    with pytest.raises(PolicyViolation, match="maximum 40%"):
        await inventory.schedule_promotion(
            sku=SKU, discount_pct=41, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 8), label="Deep"
        )
    assert any_store.state_hash() == before

    counted = await inventory.adjust_stock(
        sku=SKU, warehouse_id="WH-MAD", delta=-3, expected_on_hand=133, reason="lost"
    )
    cut = await inventory.set_price(sku=SKU, price_minor=2152, currency="EUR")
    promo = await inventory.schedule_promotion(
        sku=SKU, discount_pct=25, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 8), label="Spring"
    )
    edited = await inventory.update_product_content(sku=SKU, title="Palette", description=None, bullets=["Vegan"])
    with pytest.raises(PolicyViolation, match="40% off the list price"):
        await inventory.set_price(sku=SKU, price_minor=2000, currency="EUR")
    ended = await inventory.end_promotion(promotion_id=promo.promotion.id)
    assert ended.promotion.status is PromotionStatus.ENDED and ended.previous == promo.promotion
    with pytest.raises(Conflict, match="stale undo"):
        await inventory.undo(token=cut.undo_token or "")
    tokens = [c.undo_token for c in (counted, cut, promo, edited, ended)]
    for token in reversed(tokens):
        assert token
        await inventory.undo(token=token)
    assert any_store.state_hash() == before
    with pytest.raises(Conflict, match="already used"):
        await inventory.undo(token=tokens[0] or "")


async def test_purchase_orders_are_capped_idempotent_confirmed_once_and_received(any_store: Store) -> None:
    inventory = SandboxInventory(any_store)
    with pytest.raises(PolicyViolation, match="per-order maximum"):
        await inventory.create_purchase_order(sku=SKU, warehouse_id="WH-MAD", quantity=20_001)
    with pytest.raises(PolicyViolation, match="exceeds the maximum 5000000"):
        await inventory.create_purchase_order(sku="ML-000002", warehouse_id="WH-MAD", quantity=1424)
    first = await inventory.create_purchase_order(
        sku=SKU, warehouse_id="WH-BOG", quantity=25, idempotency_key="po-k-001"
    )
    again = await inventory.create_purchase_order(
        sku=SKU, warehouse_id="WH-BOG", quantity=25, idempotency_key="po-k-001"
    )
    assert again == first and first.purchase_order.id == "PO-000001"
    with pytest.raises(Conflict, match="idempotency_key"):
        await inventory.create_purchase_order(sku=SKU, warehouse_id="WH-BOG", quantity=26, idempotency_key="po-k-001")
    po_id = first.purchase_order.id
    confirmed = await inventory.confirm_purchase_order(purchase_order_id=po_id)
    assert confirmed.purchase_order.expected_on == date(2026, 3, 9) and confirmed.undo_token is None
    with pytest.raises(Conflict, match="only drafts can be cancelled"):
        await inventory.cancel_purchase_order(purchase_order_id=po_id)
    with pytest.raises(Conflict, match="stale undo"):
        await inventory.undo(token=first.undo_token or "")

    with any_store.writing() as conn:
        assert receive_due_purchase_orders(conn, date(2026, 3, 9)) == [(po_id, SKU, 25)]
    received = (await inventory.list_purchase_orders(status=PurchaseOrderStatus.RECEIVED)).items
    assert [po.id for po in received] == [po_id]
    assert (await inventory.get_product(sku=SKU)).on_hand == 172 + 25
