"""Inventory on the SQL sandbox store: the reference implementation of `InventoryBackend`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Select, func, select

from cadencia.tools import progress
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.inventory import forecast as fc
from cadencia.tools.inventory.models import (
    Category,
    ContentChange,
    DemandForecast,
    IncomingOrder,
    PriceChange,
    Product,
    ProductContent,
    ProductSummary,
    Promotion,
    PromotionChange,
    PromotionStatus,
    PurchaseOrder,
    PurchaseOrderChange,
    PurchaseOrderStatus,
    SalesReport,
    StockAdjustment,
    StockLevel,
)
from cadencia.tools.inventory.tables import products, promotions, purchase_orders, sales_daily, stock, warehouses
from cadencia.tools.paging import Key, Keyset, Page
from cadencia.tools.sandbox import SandboxCapability
from cadencia.tools.store.mutation import Mutation, fetch_row
from cadencia.tools.undo import UndoResult, describe_changes

HISTORY_DAYS = 56
BY_SKU = Keyset((products.c.sku,))
BY_STOCK_KEY = Keyset((stock.c.sku, stock.c.warehouse_id))
BY_PROMOTION = Keyset((promotions.c.id,))
BY_PURCHASE_ORDER = Keyset((purchase_orders.c.id,))
SCAN_BATCH = 2000
"""Rows read per query when a filter is computed in Python (cover, reorder): bounded memory, few round trips."""
OPEN_PROMOTION = (PromotionStatus.SCHEDULED.value, PromotionStatus.ACTIVE.value)


def _promotion(row: Any) -> Promotion:
    return Promotion(
        id=row["id"],
        sku=row["sku"],
        discount_pct=row["discount_pct"],
        starts_on=date.fromisoformat(row["starts_on"]),
        ends_on=date.fromisoformat(row["ends_on"]),
        status=PromotionStatus(row["status"]),
        label=row["label"],
    )


def _purchase_order(row: Any) -> PurchaseOrder:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return PurchaseOrder(
        id=row["id"],
        sku=row["sku"],
        warehouse_id=row["warehouse_id"],
        quantity=row["quantity"],
        unit_cost_minor=row["unit_cost_minor"],
        currency=row["currency"],
        total_minor=row["quantity"] * row["unit_cost_minor"],
        status=PurchaseOrderStatus(row["status"]),
        created_on=date.fromisoformat(row["created_on"]),
        confirmed_on=day(row["confirmed_on"]),
        expected_on=day(row["expected_on"]),
        received_on=day(row["received_on"]),
    )


def _content(row: Any) -> ProductContent:
    return ProductContent(title=row["title"], description=row["description"], bullets=json.loads(row["bullets"]))


class SandboxInventory(SandboxCapability):
    """Catalog, stock, prices, promotions and purchase orders in the sandbox store."""

    capability = "inventory"

    # -- lookups ------------------------------------------------------------------------------------------------

    def _product_row(self, conn: Connection, sku: str, *, lock: bool = False) -> Any:
        """The product row; `lock=True` (write paths) holds it, serialising its price, promotions and content."""
        row = fetch_row(conn, products, {"sku": sku}, lock=lock)
        if row is None:
            raise NotFound(f"No SKU {sku!r}; call list_products to see valid SKUs", field="sku")
        return row

    def _warehouse(self, conn: Connection, warehouse_id: str) -> None:
        if conn.execute(select(warehouses.c.id).where(warehouses.c.id == warehouse_id)).first() is None:
            ids = ", ".join(conn.execute(select(warehouses.c.id).order_by(warehouses.c.id)).scalars())
            raise NotFound(f"No warehouse {warehouse_id!r}; valid ids: {ids}", field="warehouse_id")

    def _on_hand(self, conn: Connection, sku: str) -> int:
        return int(conn.execute(select(func.coalesce(func.sum(stock.c.on_hand), 0)).where(stock.c.sku == sku)).scalar())

    @staticmethod
    def _on_hand_of(conn: Connection, skus: list[str]) -> dict[str, int]:
        """Units on hand per SKU over every warehouse, for these SKUs only (absent: no stock row)."""
        if not skus:
            return {}
        totals = select(stock.c.sku, func.sum(stock.c.on_hand)).where(stock.c.sku.in_(skus)).group_by(stock.c.sku)
        return {sku: int(units) for sku, units in conn.execute(totals)}

    def _margin_floor(self, row: Any) -> int:
        return -(-row["cost_minor"] * (100 + self.limits.price.min_margin_pct) // 100)

    def _discount_floor(self, row: Any) -> int:
        return -(-row["list_price_minor"] * (100 - self.limits.price.max_discount_pct) // 100)

    def price_floor(self, row: Any) -> int:
        """Lowest acceptable price: above cost by the minimum margin and within the maximum discount."""
        return max(self._margin_floor(row), self._discount_floor(row))

    def _check_promotion_price(
        self, row: Any, price_minor: int, discount_pct: int, *, promotion: str, field: str, advice: str
    ) -> None:
        """What shoppers pay during a promotion stays above cost + margin and within the max discount off list."""
        promo_price = price_minor * (100 - discount_pct) // 100
        margin_floor, discount_floor = self._margin_floor(row), self._discount_floor(row)
        if promo_price < margin_floor:
            raise PolicyViolation(
                f"{promotion} ({discount_pct}% off {price_minor}) prices {row['sku']} at {promo_price}, below cost + "
                f"minimum margin ({margin_floor}); {advice}",
                field=field,
                rule="price_floor",
            )
        if promo_price < discount_floor:
            raise PolicyViolation(
                f"{promotion} ({discount_pct}% off {price_minor}) prices {row['sku']} at {promo_price}, more than "
                f"{self.limits.price.max_discount_pct}% off the list price {row['list_price_minor']} "
                f"(floor {discount_floor}); {advice}",
                field=field,
                rule="max_discount",
            )

    def _check_open_promotions(self, conn: Connection, row: Any, price_minor: int, *, field: str, advice: str) -> None:
        """Every scheduled or running promotion of the product, applied to `price_minor`, stays above both floors."""
        open_promotions = conn.execute(
            select(promotions).where(promotions.c.sku == row["sku"], promotions.c.status.in_(OPEN_PROMOTION))
        ).mappings()
        for promo in open_promotions:
            self._check_promotion_price(
                row,
                price_minor,
                promo["discount_pct"],
                promotion=f"open promotion {promo['id']}",
                field=field,
                advice=f"{advice} call end_promotion {promo['id']} first",
            )

    def _summary(self, row: Any, on_hand: int) -> ProductSummary:
        return ProductSummary(
            sku=row["sku"],
            name=row["name"],
            category=Category(row["category"]),
            currency=row["currency"],
            price_minor=row["price_minor"],
            list_price_minor=row["list_price_minor"],
            cost_minor=row["cost_minor"],
            status=row["status"],
            on_hand=on_hand,
        )

    # -- reads --------------------------------------------------------------------------------------------------

    async def list_products(
        self, *, category: Category | None = None, query: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[ProductSummary]:
        start = BY_SKU.decode(cursor)

        def run(conn: Connection) -> Page[ProductSummary]:
            # Page first, then stock totals for the page's SKUs only (not the whole stock table).
            matching = []
            if category is not None:
                matching.append(products.c.category == category.value)
            if query:
                matching.append(func.lower(products.c.name).contains(query.lower(), autoescape=True))
            stmt = select(products).where(*matching).order_by(*BY_SKU.order_by())
            if (after := BY_SKU.after(start)) is not None:
                stmt = stmt.where(after)
            rows = conn.execute(stmt.limit(limit + 1)).mappings().all()
            on_hand = self._on_hand_of(conn, [r["sku"] for r in rows[:limit]])
            items = [self._summary(r, on_hand.get(r["sku"], 0)) for r in rows[:limit]]
            total = conn.execute(select(func.count()).select_from(products).where(*matching)).scalar_one()
            return Page[ProductSummary](items=items, next_cursor=BY_SKU.next(rows, limit), total=total)

        return await self._read(run)

    async def get_product(self, *, sku: str) -> Product:
        def run(conn: Connection) -> Product:
            row = self._product_row(conn, sku)
            today = self.store.today(conn)
            promo = (
                conn.execute(
                    select(promotions).where(
                        promotions.c.sku == sku,
                        promotions.c.status.in_(OPEN_PROMOTION),
                        promotions.c.starts_on <= today.isoformat(),
                        promotions.c.ends_on >= today.isoformat(),
                    )
                )
                .mappings()
                .first()
            )
            summary = self._summary(row, self._on_hand(conn, sku))
            return Product(
                **summary.model_dump(),
                **_content(row).model_dump(),
                lead_time_days=row["lead_time_days"],
                active_promotion=_promotion(promo) if promo else None,
                price_floor_minor=self.price_floor(row),
            )

        return await self._read(run)

    def _daily_demand(self, conn: Connection, skus: list[str], today: date) -> dict[str, tuple[fc.Smoothed, int]]:
        """Smoothed demand (sales + lost sales) per SKU over the history window, and how many days it covers."""
        since = (today - timedelta(days=HISTORY_DAYS)).isoformat()
        rows = conn.execute(
            select(sales_daily.c.sku, sales_daily.c.day, sales_daily.c.units, sales_daily.c.lost_units)
            .where(sales_daily.c.sku.in_(skus), sales_daily.c.day >= since, sales_daily.c.day < today.isoformat())
            .order_by(sales_daily.c.sku, sales_daily.c.day)
        ).all()
        series: dict[str, list[int]] = {sku: [] for sku in skus}
        for sku, _day, units, lost in rows:
            series[sku].append(units + lost)
        return {sku: (fc.smooth(history), len(history)) for sku, history in series.items()}

    async def get_stock(
        self,
        *,
        sku: str | None = None,
        warehouse_id: str | None = None,
        max_days_of_cover: float | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[StockLevel]:
        start = BY_STOCK_KEY.decode(cursor)

        def run(conn: Connection) -> Page[StockLevel]:
            if sku is not None:
                self._product_row(conn, sku)
            if warehouse_id is not None:
                self._warehouse(conn, warehouse_id)
            stmt = select(stock).order_by(*BY_STOCK_KEY.order_by())
            if sku is not None:
                stmt = stmt.where(stock.c.sku == sku)
            if warehouse_id is not None:
                stmt = stmt.where(stock.c.warehouse_id == warehouse_id)
            today = self.store.today(conn)
            if max_days_of_cover is None:
                page = stmt if start is None else stmt.where(BY_STOCK_KEY.after(start))
                rows = conn.execute(page.limit(limit + 1)).mappings().all()
                demand = self._daily_demand(conn, sorted({r["sku"] for r in rows[:limit]}), today)
                levels = [self._level(r, demand[r["sku"]][0].level) for r in rows[:limit]]
                return Page[StockLevel](items=levels, next_cursor=BY_STOCK_KEY.next(rows, limit))
            # Filtering by cover needs each row's forecast: scan on from the cursor in batches until the page is full.
            matched: list[tuple[Any, StockLevel]] = []
            position = start
            while len(matched) <= limit:
                batch = stmt if position is None else stmt.where(BY_STOCK_KEY.after(position))
                rows = conn.execute(batch.limit(SCAN_BATCH)).mappings().all()
                if not rows:
                    break
                demand = self._daily_demand(conn, sorted({r["sku"] for r in rows}), today)
                for r in rows:
                    level = self._level(r, demand[r["sku"]][0].level)
                    if level.days_of_cover is not None and level.days_of_cover <= max_days_of_cover:
                        matched.append((r, level))
                position = BY_STOCK_KEY.key_of(rows[-1])
            return Page[StockLevel](
                items=[level for _, level in matched[:limit]],
                next_cursor=BY_STOCK_KEY.next([r for r, _ in matched], limit),
            )

        return await self._read(run)

    @staticmethod
    def _level(row: Any, daily: float) -> StockLevel:
        available = row["on_hand"] - row["reserved"]
        cover = round(available / daily, 1) if daily > 0.01 else None
        return StockLevel(
            sku=row["sku"],
            warehouse_id=row["warehouse_id"],
            on_hand=row["on_hand"],
            reserved=row["reserved"],
            available=available,
            days_of_cover=cover,
        )

    @staticmethod
    def _count_after(conn: Connection, stmt: Select[Any], start: Key | None) -> int:
        """How many SKUs a scan from the cursor `start` would go through (the total its progress counts towards)."""
        rest = stmt if start is None else stmt.where(BY_SKU.after(start))
        return int(conn.execute(select(func.count()).select_from(rest.order_by(None).subquery())).scalar() or 0)

    def _forecasts(
        self, conn: Connection, rows: list[Any], horizon_days: int, service_level: float
    ) -> list[DemandForecast]:
        """Forecasts for a batch of product rows with a fixed number of queries, whatever the batch size."""
        skus = [r["sku"] for r in rows]
        today = self.store.today(conn)
        demand = self._daily_demand(conn, skus, today)
        incoming: dict[str, list[IncomingOrder]] = {sku: [] for sku in skus}
        for r in conn.execute(
            select(purchase_orders)
            .where(purchase_orders.c.sku.in_(skus), purchase_orders.c.status == PurchaseOrderStatus.CONFIRMED.value)
            .order_by(purchase_orders.c.id)
        ).mappings():
            expected = date.fromisoformat(r["expected_on"]) if r["expected_on"] else None
            incoming[r["sku"]].append(
                IncomingOrder(purchase_order_id=r["id"], quantity=r["quantity"], expected_on=expected)
            )
        on_hand = dict(
            conn.execute(
                select(stock.c.sku, func.sum(stock.c.on_hand)).where(stock.c.sku.in_(skus)).group_by(stock.c.sku)
            ).all()
        )
        out = []
        for row in rows:
            sku = row["sku"]
            fit, days = demand[sku]
            units = int(on_hand.get(sku) or 0)
            lead = row["lead_time_days"]
            safety = fc.safety_stock(fit.error_std, lead, service_level)
            reorder_point = fit.level * lead + safety
            position = units + sum(o.quantity for o in incoming[sku])
            out.append(
                DemandForecast(
                    sku=sku,
                    method=f"simple exponential smoothing (alpha={fit.alpha}) over {days} days of demand",
                    daily_demand=round(fit.level, 3),
                    horizon_days=horizon_days,
                    horizon_demand=round(fit.level * horizon_days, 1),
                    demand_std=round(fit.error_std, 3),
                    on_hand=units,
                    incoming=incoming[sku],
                    days_of_cover=round(units / fit.level, 1) if fit.level > 0.01 else None,
                    lead_time_days=lead,
                    service_level=service_level,
                    safety_stock=round(safety, 1),
                    reorder_point=round(reorder_point, 1),
                    should_reorder=position <= reorder_point,
                    suggested_order_quantity=fc.suggested_quantity(fit.level, lead, safety, position),
                )
            )
        return out

    async def forecast_demand(self, *, sku: str, horizon_days: int = 14, service_level: float = 0.95) -> DemandForecast:
        def run(conn: Connection) -> DemandForecast:
            return self._forecasts(conn, [self._product_row(conn, sku)], horizon_days, service_level)[0]

        return await self._read(run)

    async def list_forecasts(
        self,
        *,
        category: Category | None = None,
        reorder_only: bool = False,
        horizon_days: int = 14,
        service_level: float = 0.95,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[DemandForecast]:
        start = BY_SKU.decode(cursor)

        def run(conn: Connection) -> Page[DemandForecast]:
            stmt = select(products).order_by(*BY_SKU.order_by())
            if category is not None:
                stmt = stmt.where(products.c.category == category.value)
            if not reorder_only:
                page = stmt if start is None else stmt.where(BY_SKU.after(start))
                rows = conn.execute(page.limit(limit + 1)).mappings().all()
                progress.report(0, len(rows[:limit]), "forecasting a page of SKUs")
                items = self._forecasts(conn, list(rows[:limit]), horizon_days, service_level)
                progress.report(len(items), len(items), "forecast done")
                return Page[DemandForecast](items=items, next_cursor=BY_SKU.next(rows, limit))
            # Only SKUs due for reorder: scan on from the cursor in batches so memory stays bounded on large catalogs.
            matched: list[DemandForecast] = []
            position = start
            remaining = self._count_after(conn, stmt, start) if progress.listening() else None
            scanned = 0
            progress.report(0, remaining, "scanning SKUs for reorder")
            while len(matched) <= limit:
                batch = stmt if position is None else stmt.where(BY_SKU.after(position))
                rows = conn.execute(batch.limit(SCAN_BATCH)).mappings().all()
                if not rows:
                    break
                matched += [
                    f for f in self._forecasts(conn, list(rows), horizon_days, service_level) if f.should_reorder
                ]
                position = BY_SKU.key_of(rows[-1])
                scanned += len(rows)
                progress.report(scanned, remaining, f"scanned {scanned} SKUs, {len(matched)} due for reorder")
            return Page[DemandForecast](
                items=matched[:limit], next_cursor=BY_SKU.next([{"sku": f.sku} for f in matched], limit)
            )

        return await self._read(run)

    async def list_promotions(
        self, *, sku: str | None = None, active_only: bool = False, cursor: str | None = None, limit: int = 20
    ) -> Page[Promotion]:
        start = BY_PROMOTION.decode(cursor)

        def run(conn: Connection) -> Page[Promotion]:
            stmt = select(promotions).order_by(*BY_PROMOTION.order_by())
            if start is not None:
                stmt = stmt.where(BY_PROMOTION.after(start))
            if sku is not None:
                self._product_row(conn, sku)
                stmt = stmt.where(promotions.c.sku == sku)
            if active_only:
                stmt = stmt.where(promotions.c.status.in_(OPEN_PROMOTION))
            rows = conn.execute(stmt.limit(limit + 1)).mappings().all()
            return Page[Promotion](
                items=[_promotion(r) for r in rows[:limit]], next_cursor=BY_PROMOTION.next(rows, limit)
            )

        return await self._read(run)

    async def list_purchase_orders(
        self,
        *,
        sku: str | None = None,
        status: PurchaseOrderStatus | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[PurchaseOrder]:
        start = BY_PURCHASE_ORDER.decode(cursor)

        def run(conn: Connection) -> Page[PurchaseOrder]:
            stmt = select(purchase_orders).order_by(*BY_PURCHASE_ORDER.order_by())
            if start is not None:
                stmt = stmt.where(BY_PURCHASE_ORDER.after(start))
            if sku is not None:
                self._product_row(conn, sku)
                stmt = stmt.where(purchase_orders.c.sku == sku)
            if status is not None:
                stmt = stmt.where(purchase_orders.c.status == status.value)
            rows = conn.execute(stmt.limit(limit + 1)).mappings().all()
            items = [_purchase_order(r) for r in rows[:limit]]
            return Page[PurchaseOrder](items=items, next_cursor=BY_PURCHASE_ORDER.next(rows, limit))

        return await self._read(run)

    async def sales_report(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        sku: str | None = None,
        category: Category | None = None,
    ) -> SalesReport:
        def run(conn: Connection) -> SalesReport:
            today = self.store.today(conn)
            end = until or today - timedelta(days=1)
            start = since or end - timedelta(days=6)
            if start > end:
                raise InvalidArgument(f"since {start} is after until {end}", field="since")
            if sku is not None:
                self._product_row(conn, sku)
            stmt = (
                select(
                    func.coalesce(func.sum(sales_daily.c.units), 0),
                    func.coalesce(func.sum(sales_daily.c.revenue_minor), 0),
                    func.coalesce(func.sum(sales_daily.c.units * products.c.cost_minor), 0),
                    func.coalesce(func.sum(sales_daily.c.lost_units), 0),
                    func.count(func.distinct(sales_daily.c.sku)),
                )
                .select_from(sales_daily.join(products, products.c.sku == sales_daily.c.sku))
                .where(sales_daily.c.day >= start.isoformat(), sales_daily.c.day <= end.isoformat())
            )
            if sku is not None:
                stmt = stmt.where(sales_daily.c.sku == sku)
            if category is not None:
                stmt = stmt.where(products.c.category == category.value)
            progress.report(0, 1, f"summing daily sales {start} to {end}")
            units, revenue, cogs, lost, skus = conn.execute(stmt).one()
            progress.report(1, 1, "sales summed")
            currency = self.store.get_world("currency", conn) or "EUR"
            return SalesReport(
                since=start,
                until=end,
                currency=currency,
                units=int(units),
                revenue_minor=int(revenue),
                cogs_minor=int(cogs),
                gross_profit_minor=int(revenue) - int(cogs),
                lost_units=int(lost),
                skus=int(skus),
            )

        return await self._read(run)

    # -- writes -------------------------------------------------------------------------------------------------

    async def adjust_stock(
        self,
        *,
        sku: str,
        warehouse_id: str,
        delta: int,
        expected_on_hand: int,
        reason: str,
        idempotency_key: str | None = None,
    ) -> StockAdjustment:
        def apply(m: Mutation) -> StockAdjustment:
            self._product_row(m.conn, sku)
            self._warehouse(m.conn, warehouse_id)
            current = m.row(stock, sku=sku, warehouse_id=warehouse_id)
            on_hand = current["on_hand"] if current else 0
            if on_hand != expected_on_hand:
                raise Conflict(
                    f"{sku} in {warehouse_id} has {on_hand} on hand, not the expected {expected_on_hand}; "
                    "read get_stock and retry with the current value",
                    field="expected_on_hand",
                )
            new = on_hand + delta
            if new < 0:
                raise PolicyViolation(
                    f"stock may not go negative: {on_hand} {delta:+d} = {new}", field="delta", rule="stock_non_negative"
                )
            if current is None:
                m.insert(stock, {"sku": sku, "warehouse_id": warehouse_id, "on_hand": new, "reserved": 0})
            else:
                m.update(stock, {"sku": sku, "warehouse_id": warehouse_id}, {"on_hand": new})
            return StockAdjustment(
                sku=sku, warehouse_id=warehouse_id, previous_on_hand=on_hand, on_hand=new, reason=reason
            )

        args = {
            "sku": sku,
            "warehouse_id": warehouse_id,
            "delta": delta,
            "expected_on_hand": expected_on_hand,
            "reason": reason,
        }
        return await self._write("adjust_stock", args, idempotency_key, apply, StockAdjustment, reversible=True)

    def _check_price(self, row: Any, price_minor: int) -> None:
        floor = self.price_floor(row)
        if price_minor < floor:
            raise PolicyViolation(
                f"price {price_minor} is below the floor {floor} for {row['sku']} (cost {row['cost_minor']} + "
                f"{self.limits.price.min_margin_pct}% margin, max discount {self.limits.price.max_discount_pct}% off "
                f"list {row['list_price_minor']}); choose a price of at least {floor}",
                field="price_minor",
                rule="price_floor",
            )
        current = row["price_minor"]
        max_move = current * self.limits.price.max_change_pct // 100
        if abs(price_minor - current) > max_move:
            raise PolicyViolation(
                f"a single price change may move at most {self.limits.price.max_change_pct}% "
                f"(current {current}, requested {price_minor}); change it in smaller steps",
                field="price_minor",
                rule="max_price_change",
            )

    async def set_price(
        self, *, sku: str, price_minor: int, currency: str, idempotency_key: str | None = None
    ) -> PriceChange:
        def apply(m: Mutation) -> PriceChange:
            row = self._product_row(m.conn, sku, lock=True)
            if currency != row["currency"]:
                raise InvalidArgument(
                    f"{sku} is priced in {row['currency']}, not {currency}; give the price in {row['currency']}",
                    field="currency",
                )
            self._check_price(row, price_minor)
            self._check_open_promotions(
                m.conn, row, price_minor, field="price_minor", advice="choose a higher price or"
            )
            before, after = m.update(products, {"sku": sku}, {"price_minor": price_minor})
            discount = round(100 * (1 - after["price_minor"] / after["list_price_minor"]), 2)
            return PriceChange(
                sku=sku,
                currency=row["currency"],
                previous_price_minor=before["price_minor"],
                price_minor=after["price_minor"],
                discount_pct=discount,
            )

        args = {"sku": sku, "price_minor": price_minor, "currency": currency}
        return await self._write("set_price", args, idempotency_key, apply, PriceChange, reversible=True)

    async def schedule_promotion(
        self,
        *,
        sku: str,
        discount_pct: int,
        starts_on: date,
        ends_on: date,
        label: str,
        idempotency_key: str | None = None,
    ) -> PromotionChange:
        def apply(m: Mutation) -> PromotionChange:
            row = self._product_row(m.conn, sku, lock=True)
            if ends_on < starts_on:
                raise InvalidArgument("ends_on must be on or after starts_on", field="ends_on")
            if starts_on < m.today:
                raise InvalidArgument(f"starts_on {starts_on} is in the past (today is {m.today})", field="starts_on")
            limit = self.limits.price.max_discount_pct
            if discount_pct > limit:
                raise PolicyViolation(
                    f"discount {discount_pct}% exceeds the maximum {limit}%", field="discount_pct", rule="max_discount"
                )
            self._check_promotion_price(
                row,
                row["price_minor"],
                discount_pct,
                promotion="the promotion",
                field="discount_pct",
                advice="use a smaller discount",
            )
            overlap = m.conn.execute(
                select(promotions.c.id).where(
                    promotions.c.sku == sku,
                    promotions.c.status.in_(OPEN_PROMOTION),
                    promotions.c.starts_on <= ends_on.isoformat(),
                    promotions.c.ends_on >= starts_on.isoformat(),
                )
            ).scalar()
            if overlap:
                raise Conflict(
                    f"{sku} already has promotion {overlap} in that period; end it first or pick other dates",
                    field="starts_on",
                )
            status = PromotionStatus.ACTIVE if starts_on <= m.today else PromotionStatus.SCHEDULED
            created = m.insert(
                promotions,
                {
                    "id": m.next_id("PR"),
                    "sku": sku,
                    "discount_pct": discount_pct,
                    "starts_on": starts_on.isoformat(),
                    "ends_on": ends_on.isoformat(),
                    "status": status.value,
                    "label": label,
                },
            )
            return PromotionChange(promotion=_promotion(created), previous=None)

        args = {
            "sku": sku,
            "discount_pct": discount_pct,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "label": label,
        }
        return await self._write("schedule_promotion", args, idempotency_key, apply, PromotionChange, reversible=True)

    async def end_promotion(self, *, promotion_id: str, idempotency_key: str | None = None) -> PromotionChange:
        def apply(m: Mutation) -> PromotionChange:
            row = m.row(promotions, id=promotion_id)
            if row is None:
                raise NotFound(f"No promotion {promotion_id!r}; call list_promotions", field="promotion_id")
            if row["status"] == PromotionStatus.ENDED.value:
                raise Conflict(f"promotion {promotion_id} has already ended", field="promotion_id")
            yesterday = min(date.fromisoformat(row["ends_on"]), m.today - timedelta(days=1))
            ends_on = max(yesterday, date.fromisoformat(row["starts_on"]))
            before, after = m.update(
                promotions,
                {"id": promotion_id},
                {"status": PromotionStatus.ENDED.value, "ends_on": ends_on.isoformat()},
            )
            return PromotionChange(promotion=_promotion(after), previous=_promotion(before))

        args = {"promotion_id": promotion_id}
        return await self._write("end_promotion", args, idempotency_key, apply, PromotionChange, reversible=True)

    async def update_product_content(
        self,
        *,
        sku: str,
        title: str | None = None,
        description: str | None = None,
        bullets: list[str] | None = None,
        idempotency_key: str | None = None,
    ) -> ContentChange:
        def apply(m: Mutation) -> ContentChange:
            self._product_row(m.conn, sku, lock=True)
            values: dict[str, Any] = {}
            if title is not None:
                values["title"] = title
            if description is not None:
                values["description"] = description
            if bullets is not None:
                values["bullets"] = json.dumps(bullets, ensure_ascii=False)
            if not values:
                raise InvalidArgument("give at least one of title, description or bullets", field="title")
            before, after = m.update(products, {"sku": sku}, values)
            return ContentChange(sku=sku, previous=_content(before), content=_content(after))

        args = {"sku": sku, "title": title, "description": description, "bullets": bullets}
        return await self._write("update_product_content", args, idempotency_key, apply, ContentChange, reversible=True)

    async def create_purchase_order(
        self, *, sku: str, warehouse_id: str, quantity: int, idempotency_key: str | None = None
    ) -> PurchaseOrderChange:
        def apply(m: Mutation) -> PurchaseOrderChange:
            row = self._product_row(m.conn, sku)
            self._warehouse(m.conn, warehouse_id)
            caps = self.limits.stock
            if quantity > caps.max_po_quantity:
                raise PolicyViolation(
                    f"quantity {quantity} exceeds the per-order maximum {caps.max_po_quantity}",
                    field="quantity",
                    rule="max_po_quantity",
                )
            if quantity * row["cost_minor"] > caps.max_po_value_minor:
                raise PolicyViolation(
                    f"order value {quantity * row['cost_minor']} exceeds the maximum {caps.max_po_value_minor}",
                    field="quantity",
                    rule="max_po_value",
                )
            created = m.insert(
                purchase_orders,
                {
                    "id": m.next_id("PO"),
                    "sku": sku,
                    "warehouse_id": warehouse_id,
                    "quantity": quantity,
                    "unit_cost_minor": row["cost_minor"],
                    "currency": row["currency"],
                    "status": PurchaseOrderStatus.DRAFT.value,
                    "created_on": m.today.isoformat(),
                    "confirmed_on": None,
                    "expected_on": None,
                    "received_on": None,
                },
            )
            return PurchaseOrderChange(purchase_order=_purchase_order(created), previous_status=None)

        args = {"sku": sku, "warehouse_id": warehouse_id, "quantity": quantity}
        return await self._write(
            "create_purchase_order", args, idempotency_key, apply, PurchaseOrderChange, reversible=True
        )

    def _draft(self, m: Mutation, purchase_order_id: str, action: str) -> Any:
        row = m.row(purchase_orders, id=purchase_order_id)
        if row is None:
            raise NotFound(
                f"No purchase order {purchase_order_id!r}; call list_purchase_orders", field="purchase_order_id"
            )
        if row["status"] != PurchaseOrderStatus.DRAFT.value:
            raise Conflict(
                f"purchase order {purchase_order_id} is {row['status']}; only drafts can be {action}",
                field="purchase_order_id",
            )
        return row

    async def confirm_purchase_order(
        self, *, purchase_order_id: str, idempotency_key: str | None = None
    ) -> PurchaseOrderChange:
        def apply(m: Mutation) -> PurchaseOrderChange:
            row = self._draft(m, purchase_order_id, "confirmed")
            product = self._product_row(m.conn, row["sku"])
            expected = m.today + timedelta(days=product["lead_time_days"])
            _, after = m.update(
                purchase_orders,
                {"id": purchase_order_id},
                {
                    "status": PurchaseOrderStatus.CONFIRMED.value,
                    "confirmed_on": m.today.isoformat(),
                    "expected_on": expected.isoformat(),
                },
            )
            return PurchaseOrderChange(purchase_order=_purchase_order(after), previous_status=PurchaseOrderStatus.DRAFT)

        args = {"purchase_order_id": purchase_order_id}
        return await self._write(
            "confirm_purchase_order", args, idempotency_key, apply, PurchaseOrderChange, reversible=False
        )

    async def cancel_purchase_order(
        self, *, purchase_order_id: str, idempotency_key: str | None = None
    ) -> PurchaseOrderChange:
        def apply(m: Mutation) -> PurchaseOrderChange:
            self._draft(m, purchase_order_id, "cancelled (a confirmed order is a commitment to the supplier)")
            _, after = m.update(
                purchase_orders, {"id": purchase_order_id}, {"status": PurchaseOrderStatus.CANCELLED.value}
            )
            return PurchaseOrderChange(purchase_order=_purchase_order(after), previous_status=PurchaseOrderStatus.DRAFT)

        args = {"purchase_order_id": purchase_order_id}
        return await self._write(
            "cancel_purchase_order", args, idempotency_key, apply, PurchaseOrderChange, reversible=True
        )

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        """Undo one reversible inventory call; refused if it would leave an open promotion below a price floor."""

        def apply(m: Mutation) -> UndoResult:
            tool, changes = self.store.undo(m.conn, capability=self.capability, token=token)
            priced = {products.name, promotions.name}
            skus = {r["sku"] for c in changes if c.table in priced for r in (c.before, c.after) if r is not None}
            for sku in sorted(skus):
                row = self._product_row(m.conn, sku, lock=True)
                self._check_open_promotions(
                    m.conn,
                    row,
                    row["price_minor"],
                    field="token",
                    advice="undo refused: set a new price with set_price, or",
                )
            return UndoResult(token=token, tool=tool, restored=describe_changes(changes))

        return await self._write("undo", {"token": token}, idempotency_key, apply, UndoResult, reversible=False)
