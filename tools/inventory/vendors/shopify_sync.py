"""Incremental mirror of Shopify orders (by `updated_at`) into the local order-line table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cadencia.tools.inventory.vendors import shopify_api as q
from cadencia.tools.inventory.vendors.shopify_api import ShopifyGraphQL
from cadencia.tools.vendors.ledger import VendorLedger
from cadencia.tools.vendors.mirror import OrderLine, store_orders, watermark
from cadencia.tools.vendors.money import to_minor

PAGE = 50


def order_lines(order: dict[str, Any]) -> list[OrderLine]:
    currency = order["currencyCode"]
    day = datetime.fromisoformat(order["createdAt"].replace("Z", "+00:00")).date()
    lines = []
    for line in order["lineItems"]["nodes"]:
        if not line.get("sku"):
            continue
        units = int(line.get("currentQuantity") or 0)
        variant = line.get("variant") or {}
        cost = ((variant.get("inventoryItem") or {}).get("unitCost") or {}).get("amount")
        lines.append(
            OrderLine(
                order_id=order["id"],
                sku=line["sku"],
                day=day,
                units=units,
                revenue_minor=to_minor(line["discountedTotalSet"]["shopMoney"]["amount"], currency),
                cogs_minor=units * to_minor(cost, currency) if cost is not None else 0,
                category=str((variant.get("product") or {}).get("productType", "")).lower(),
                currency=currency,
                updated_at=order["updatedAt"],
            )
        )
    return lines


async def sync_orders(api: ShopifyGraphQL, ledger: VendorLedger) -> int:
    """Fetch orders updated since the last watermark (all pages) and replace their mirrored lines."""
    since = watermark(ledger, "orders")
    query = f"updated_at:>'{since}'" if since else None
    cursor: str | None = None
    lines: list[OrderLine] = []
    newest = since or ""
    while True:
        page = (await api.run(q.ORDERS, {"first": PAGE, "after": cursor, "query": query}))["orders"]
        for order in page["nodes"]:
            lines += order_lines(order)
            newest = max(newest, order["updatedAt"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    return store_orders(ledger, lines, newest or "1970-01-01T00:00:00Z")
