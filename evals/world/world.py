"""The market simulator: advances a seeded store one day at a time, deterministically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import Connection

from cadencia.evals.world.ads import prime_campaigns, simulate_ads
from cadencia.evals.world.effects import active_effects, apply_event
from cadencia.evals.world.events import Event
from cadencia.evals.world.ledger import write_ledger
from cadencia.evals.world.messaging import Dispatcher, simulate_messaging
from cadencia.evals.world.report import DayReport
from cadencia.evals.world.response import brand_multiplier
from cadencia.evals.world.sales import Drivers, SalesDay, prime_skus, simulate_sales
from cadencia.evals.world.schedule import refresh_promotions
from cadencia.evals.world.tables import create_sim_tables
from cadencia.evals.world.truth import adopt_truth
from cadencia.tools.crm.dispatch import dispatch_due_sends
from cadencia.tools.inventory.receiving import receive_due_purchase_orders
from cadencia.tools.seed.rand import stream
from cadencia.tools.store.store import Store

Shop = Callable[[Connection, int, date, Drivers], SalesDay]
"""The shop's day over the catalog: `simulate_sales`, or the per-SKU reference the tests compare it with."""


class World:
    """A market around a store: `step()` simulates the store's `today` and moves the clock to tomorrow.

    Randomness comes from one stream per (seed, day, component, entity), so two copies of a store run with the
    same seed share their random numbers and differ only where the agents' actions differ. Due sends are delivered
    by `dispatcher` (the CRM's own dispatch by default); the simulator models the recipients' response. The market's
    truth lives in the simulator's tables (`truth.py`), given to every product and campaign when first seen.
    """

    def __init__(
        self, store: Store, *, seed: int, dispatcher: Dispatcher = dispatch_due_sends, shop: Shop = simulate_sales
    ) -> None:
        self.store = store
        self.seed = seed
        self.dispatcher = dispatcher
        self.shop = shop
        create_sim_tables(store.engine)
        with store.writing() as conn:
            day = store.today(conn)
            adopt_truth(store, conn)
            prime_campaigns(conn, day)
            prime_skus(conn, day)

    def step(self) -> DayReport:
        """Simulate one day in one transaction and return its report."""
        with self.store.writing() as conn:
            day = self.store.today(conn)
            receive_due_purchase_orders(conn, day)
            refresh_promotions(conn, day)
            market = adopt_truth(self.store, conn)
            effects = active_effects(conn, day)
            ads = simulate_ads(conn, self.seed, day, effects, market)
            crm = simulate_messaging(conn, self.seed, day, self.dispatcher, market)
            drivers = Drivers(
                traffic=market.traffic_season(day) * brand_multiplier(ads.awareness, ads.awareness_half),
                effects=effects,
                ads_by_sku=ads.direct_by_sku(),
                ads_general=ads.direct_general(),
                orders_by_category=crm.orders_by_category,
            )
            sales = self.shop(conn, self.seed, day, drivers)
            books = write_ledger(conn, day, ads, crm, sales)
            self.store.set_world(conn, "today", (day + timedelta(days=1)).isoformat())
        return DayReport(
            day=day,
            revenue_minor=books.revenue_minor,
            gross_profit_minor=books.gross_profit_minor,
            profit_minor=books.profit_minor,
            spend_minor=ads.spend_by_platform(),
            units_sold=sales.units,
            lost_units=sales.lost_units,
            stockouts=sales.stockouts,
            messages_delivered=crm.delivered,
            unsubscribes=crm.unsubscribes,
            new_reviews=sales.new_reviews,
            mean_stock_cover_days=round(sales.cover_total / sales.covered_skus, 3) if sales.covered_skus else 0.0,
        )

    def run(self, days: int) -> list[DayReport]:
        """Simulate `days` days in a row."""
        return [self.step() for _ in range(days)]

    def apply_event(self, event: Event) -> None:
        """Make a scripted event happen today; lasting ones keep acting on later steps (stored, not in memory)."""
        with self.store.writing() as conn:
            day = self.store.today(conn)
            apply_event(conn, day, event, stream(self.seed, "sim", day.isoformat(), "event", event.kind))
