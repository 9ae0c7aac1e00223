"""The simulator's bookkeeping: determinism, the clock, stock conservation, purchase orders, spend, persistence."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

from cadencia.evals.world import World, clone_store, ledger_totals, open_truth
from cadencia.evals.world.tables import (
    sim_campaign_days,
    sim_campaigns,
    sim_ledger,
    sim_product_truth,
    sim_skus,
    sim_state,
)
from cadencia.tools.ads.tables import ad_performance, campaigns
from cadencia.tools.inventory.tables import purchase_orders, sales_daily, stock
from cadencia.tools.reviews.tables import reviews
from cadencia.tools.store.store import Store

START = date(2026, 3, 2)
truth = sim_product_truth.c


def _on_hand(store: Store) -> dict[str, int]:
    with store.reading() as conn:
        rows = conn.execute(select(stock.c.sku, func.sum(stock.c.on_hand)).group_by(stock.c.sku)).all()
    return {sku: int(units) for sku, units in rows}


def _fingerprint(store: Store) -> list[list[tuple[object, ...]]]:
    """The rows a resumed world could get wrong: stock, sales, reviews and the simulator's own state and ledger."""
    tables = (stock, sales_daily, reviews, sim_ledger, sim_campaign_days, sim_skus, sim_campaigns, sim_state)
    with store.reading() as conn:
        return [[tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key.columns)).all()] for t in tables]


def _confirmed_po(store: Store, po_id: str, sku: str, quantity: int, expected_on: date) -> None:
    with store.writing() as conn:
        conn.execute(
            insert(purchase_orders).values(
                id=po_id,
                sku=sku,
                warehouse_id="WH-MAD",
                quantity=quantity,
                unit_cost_minor=1_000,
                currency="EUR",
                status="confirmed",
                created_on=START.isoformat(),
                confirmed_on=START.isoformat(),
                expected_on=expected_on.isoformat(),
            )
        )


def test_step_simulates_today_and_moves_the_clock_one_day(store: Store) -> None:
    report = World(store, seed=1).step()
    assert report.day == START
    assert store.today() == START + timedelta(days=1)
    with store.reading() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(sales_daily).where(sales_daily.c.day == "2026-03-02")
            ).scalar()
            == 40
        )
        assert conn.execute(select(sim_ledger.c.day)).scalars().all() == ["2026-03-02"]


def test_same_seed_and_actions_give_identical_state_and_reports_and_another_seed_does_not(store: Store) -> None:
    twin, other = clone_store(store, "sqlite://"), clone_store(store, "sqlite://")
    first, second = World(store, seed=11).run(5), World(twin, seed=11).run(5)
    World(other, seed=12).run(5)
    assert first == second
    assert ledger_totals(store) == ledger_totals(twin) != ledger_totals(other)
    assert store.state_hash() == twin.state_hash() != other.state_hash()


def test_world_reopened_on_the_same_store_continues_exactly(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "split.db"
    split = clone_store(store, path)
    World(store, seed=5).run(4)
    World(split, seed=5).run(2)
    split.close()
    reopened = Store.open(path)
    World(reopened, seed=5).run(2)
    assert _fingerprint(reopened) == _fingerprint(store)


def test_stock_is_conserved_and_never_negative(store: Store) -> None:
    _confirmed_po(store, "PO-T1", "ML-000003", 120, START + timedelta(days=2))
    before = _on_hand(store)
    World(store, seed=2).run(10)
    after = _on_hand(store)
    with store.reading() as conn:
        sold = dict(
            conn.execute(
                select(sales_daily.c.sku, func.sum(sales_daily.c.units))
                .where(sales_daily.c.day >= START.isoformat())
                .group_by(sales_daily.c.sku)
            ).all()
        )
        lowest = conn.execute(select(func.min(stock.c.on_hand))).scalar_one()
    received = {"ML-000003": 120}
    for sku in before:
        assert before[sku] + received.get(sku, 0) - sold[sku] == after[sku], sku
    assert lowest >= 0


def test_confirmed_purchase_order_arrives_on_expected_day_and_not_before(store: Store) -> None:
    arrival = START + timedelta(days=3)
    _confirmed_po(store, "PO-T2", "ML-000005", 500, arrival)
    world = World(store, seed=3)
    world.run(3)
    with store.reading() as conn:
        status = conn.execute(select(purchase_orders.c.status).where(purchase_orders.c.id == "PO-T2")).scalar()
    assert status == "confirmed"
    before = _on_hand(store)["ML-000005"]
    world.step()
    with store.reading() as conn:
        po = conn.execute(select(purchase_orders).where(purchase_orders.c.id == "PO-T2")).mappings().one()
        sold = conn.execute(
            select(sales_daily.c.units).where(
                sales_daily.c.sku == "ML-000005", sales_daily.c.day == arrival.isoformat()
            )
        ).scalar_one()
    assert (po["status"], po["received_on"]) == ("received", arrival.isoformat())
    assert _on_hand(store)["ML-000005"] == before + 500 - sold


def test_out_of_stock_sku_sells_nothing_and_records_lost_units(store: Store) -> None:
    open_truth(store)
    with store.writing() as conn:
        sku = conn.execute(select(truth.sku).order_by(truth.base_daily_demand.desc())).scalar()
        conn.execute(update(stock).where(stock.c.sku == sku).values(on_hand=0))
    reports = World(store, seed=4).run(3)
    with store.reading() as conn:
        rows = conn.execute(
            select(sales_daily.c.units, sales_daily.c.lost_units).where(
                sales_daily.c.sku == sku, sales_daily.c.day >= START.isoformat()
            )
        ).all()
    assert [units for units, _ in rows] == [0, 0, 0]
    assert sum(lost for _, lost in rows) > 0
    assert all(sku in r.stockouts for r in reports)


def test_spend_is_the_daily_budget_of_active_campaigns_and_sums_everywhere(store: Store) -> None:
    with store.writing() as conn:
        conn.execute(update(campaigns).where(campaigns.c.id == "CMP-ME001").values(status="paused"))
        budgets = dict(conn.execute(select(campaigns.c.id, campaigns.c.daily_budget_minor)).all())
    reports = World(store, seed=6).run(5)
    with store.reading() as conn:
        rows = conn.execute(
            select(ad_performance.c.campaign_id, ad_performance.c.spend_minor).where(
                ad_performance.c.day >= START.isoformat()
            )
        ).all()
        hidden = conn.execute(select(func.sum(sim_campaign_days.c.spend_minor))).scalar()
    assert "CMP-ME001" not in {cid for cid, _ in rows}
    assert all(0.85 * budgets[cid] - 1 <= spend <= budgets[cid] for cid, spend in rows)
    platform_total = sum(sum(r.spend_minor.values()) for r in reports)
    assert platform_total == sum(spend for _, spend in rows) == hidden == ledger_totals(store).ad_spend_minor


def test_ledger_profit_is_revenue_less_every_cost(store: Store) -> None:
    World(store, seed=8).run(3)
    t = ledger_totals(store)
    assert t.days == 3
    assert t.revenue_minor == t.gross_minor - t.discounts_minor
    costs = t.cogs_minor + t.ad_spend_minor + t.discounts_minor + t.fees_minor + t.holding_minor + t.messaging_minor
    assert t.profit_minor == t.gross_minor - costs
    assert t.fees_minor == round(0.029 * t.revenue_minor) or abs(t.fees_minor - 0.029 * t.revenue_minor) <= 3
    assert t.holding_minor > 0


def test_world_runs_identically_on_postgresql_and_on_a_sqlite_copy(any_store: Store) -> None:
    copy = clone_store(any_store, "sqlite://")
    first, second = World(any_store, seed=17).run(3), World(copy, seed=17).run(3)
    assert first == second
    assert any_store.state_hash() == copy.state_hash()
    assert _fingerprint(any_store) == _fingerprint(copy)
