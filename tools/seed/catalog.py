"""The catalog's rows: products, stock across both warehouses, and the daily sales history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from cadencia.tools.seed import words
from cadencia.tools.seed.latent import MARKET, ProductTraits, draw_product_traits
from cadencia.tools.seed.rand import poisson, stream
from cadencia.tools.seed.sizes import BRAND, CURRENCY, Sizes

CATEGORY_ORDER = ("skincare", "makeup", "fragrance")


def sku_id(i: int) -> str:
    return f"ML-{i:06d}"


def product(seed: int, i: int) -> tuple[dict[str, Any], ProductTraits]:
    """The `products` row of SKU i and the traits its sales history is drawn from (one stream per SKU)."""
    rng = stream(seed, "product", i)
    category = CATEGORY_ORDER[i % 3]
    spec = words.CATEGORIES[category]
    kind = rng.choice(spec["kinds"])  # type: ignore[arg-type]
    theme = rng.choice(spec["themes"])  # type: ignore[arg-type]
    size = rng.choice(spec["sizes"])  # type: ignore[arg-type]
    low, high = spec["price"]  # type: ignore[misc]
    list_price = round(rng.randint(low, high) / 100) * 100 - 10
    name = " ".join(part for part in (kind, theme, size) if part)
    row = {
        "sku": sku_id(i),
        "name": name,
        "category": category,
        "currency": CURRENCY,
        "list_price_minor": list_price,
        "price_minor": list_price,
        "cost_minor": round(list_price * rng.uniform(0.22, 0.36)),
        "status": "active",
        "title": f"{BRAND} {name}",
        "description": f"{kind} {theme} by {BRAND}, crafted for everyday {category} rituals.",
        "bullets": json.dumps(
            ["Dermatologically tested", "Recyclable glass bottle"]
            if category == "skincare"
            else ["Cruelty-free: never tested on animals"]
        ),
        "lead_time_days": rng.choice([7, 10, 14, 21, 28]),
    }
    return row, draw_product_traits(rng)


def products(seed: int, n: int) -> Iterator[dict[str, Any]]:
    return (product(seed, i)[0] for i in range(n))


def stock(seed: int, n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        rng = stream(seed, "stock", i)
        demand = product(seed, i)[1].base_daily_demand
        # A deliberate spread: some SKUs near stockout, most comfortable, some overstocked.
        cover = rng.choice([3, 6, 10, 20, 30, 35, 45, 60, 90, 150])
        total = max(0, round(demand * cover))
        share = rng.uniform(0.55, 0.8)
        yield {"sku": sku_id(i), "warehouse_id": "WH-MAD", "on_hand": round(total * share), "reserved": 0}
        yield {"sku": sku_id(i), "warehouse_id": "WH-BOG", "on_hand": total - round(total * share), "reserved": 0}


def sales(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    for i in range(sizes.skus):
        row, traits = product(seed, i)
        rng = stream(seed, "sales", i)
        for back in range(sizes.history_days, 0, -1):
            day = today - timedelta(days=back)
            units = poisson(rng, traits.base_daily_demand * MARKET.traffic_season(day))
            yield {
                "sku": row["sku"],
                "day": day.isoformat(),
                "units": units,
                "revenue_minor": units * row["price_minor"],
                "lost_units": 0,
            }
