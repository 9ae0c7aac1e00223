"""Demand forecasts over an in-memory MCP session: recent demand drives the level; ROP = d·L + z·σ·√L."""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import NormalDist

from helpers.mcp import call_ok, mcp_session
from sqlalchemy import update

from cadencia.servers.context import Backends
from cadencia.tools.inventory.tables import sales_daily
from cadencia.tools.store.store import Store

TODAY = date(2026, 3, 2)


def set_demand(store: Store, sku: str, *, early: int, recent: int, recent_days: int = 14, lost: int = 0) -> None:
    """Rewrite a SKU's sales history: `early` units a day, then `recent` a day over the last `recent_days` days."""
    cut = (TODAY - timedelta(days=recent_days)).isoformat()
    with store.writing() as conn:
        conn.execute(update(sales_daily).where(sales_daily.c.sku == sku).values(units=early, lost_units=lost))
        conn.execute(update(sales_daily).where(sales_daily.c.sku == sku, sales_daily.c.day >= cut).values(units=recent))


async def test_a_sku_with_higher_recent_demand_forecasts_a_higher_daily_demand(
    store: Store, backends: Backends
) -> None:
    set_demand(store, "ML-000001", early=6, recent=2)
    set_demand(store, "ML-000004", early=2, recent=6)
    set_demand(store, "ML-000007", early=4, recent=4)
    set_demand(store, "ML-000010", early=1, recent=1, lost=3)
    async with mcp_session("inventory", backends) as s:
        cooling, heating, steady, short = [
            await call_ok(s, "forecast_demand", {"sku": sku})
            for sku in ("ML-000001", "ML-000004", "ML-000007", "ML-000010")
        ]
    assert heating["daily_demand"] > steady["daily_demand"] > cooling["daily_demand"]
    assert heating["daily_demand"] > 5 and cooling["daily_demand"] < 3
    # A flat history is forecast exactly, with no error spread and so no safety stock.
    assert (steady["daily_demand"], steady["demand_std"], steady["safety_stock"]) == (4.0, 0.0, 0.0)
    assert steady["reorder_point"] == 4.0 * steady["lead_time_days"] and steady["horizon_demand"] == 56.0
    # Stockouts hide demand: lost units count, so a SKU selling 1 a day while losing 3 needs 4 a day.
    assert short["daily_demand"] == 4.0
    assert "56 days" in steady["method"]


async def test_reorder_point_is_lead_time_demand_plus_safety_stock_within_rounding(backends: Backends) -> None:
    async with mcp_session("inventory", backends) as s:
        usual = (await call_ok(s, "list_forecasts", {"limit": 100}))["items"]
        careful = (await call_ok(s, "list_forecasts", {"limit": 100, "service_level": 0.99, "horizon_days": 30}))[
            "items"
        ]
    assert len(usual) == len(careful) == 40
    for f, c in zip(usual, careful, strict=True):
        d, sigma, lead = f["daily_demand"], f["demand_std"], f["lead_time_days"]
        safety = NormalDist().inv_cdf(0.95) * sigma * math.sqrt(lead)
        assert abs(f["safety_stock"] - safety) < 0.06 + 0.001 * lead, f["sku"]
        assert abs(f["reorder_point"] - (d * lead + safety)) < 0.06 + 0.001 * lead, f["sku"]
        assert abs(f["horizon_demand"] - 14 * d) < 0.06 and abs(c["horizon_demand"] - 30 * d) < 0.06
        assert abs(f["days_of_cover"] - f["on_hand"] / d) < 0.15, f["sku"]
        assert f["incoming"] == [] and f["service_level"] == 0.95 and c["service_level"] == 0.99
        if abs(f["on_hand"] - f["reorder_point"]) > 0.1:
            assert f["should_reorder"] is (f["on_hand"] <= f["reorder_point"]), f["sku"]
        assert f["suggested_order_quantity"] >= 0
        if sigma > 0:
            assert c["safety_stock"] > f["safety_stock"] and c["reorder_point"] > f["reorder_point"]


async def test_a_confirmed_order_counts_as_incoming_and_a_draft_does_not(backends: Backends) -> None:
    sku = "ML-000002"
    async with mcp_session("inventory", backends) as s:
        due = await call_ok(s, "forecast_demand", {"sku": sku})
        quantity = due["suggested_order_quantity"]
        po = (await call_ok(s, "create_purchase_order", {"sku": sku, "warehouse_id": "WH-MAD", "quantity": quantity}))[
            "purchase_order"
        ]
        drafted = await call_ok(s, "forecast_demand", {"sku": sku})
        await call_ok(s, "confirm_purchase_order", {"purchase_order_id": po["id"]})
        covered = await call_ok(s, "forecast_demand", {"sku": sku})
        listed = await call_ok(s, "list_forecasts", {"reorder_only": True, "limit": 100})
    assert due["should_reorder"] and quantity > 0
    assert drafted == due
    assert covered["incoming"] == [{"purchase_order_id": po["id"], "quantity": quantity, "expected_on": "2026-03-23"}]
    assert covered["on_hand"] == due["on_hand"] and covered["days_of_cover"] == due["days_of_cover"]
    assert not covered["should_reorder"] and covered["suggested_order_quantity"] == 0
    assert sku not in {f["sku"] for f in listed["items"]}
