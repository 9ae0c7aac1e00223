"""A fake Shopify Admin GraphQL endpoint: dispatches on the operation name, keeps state, enforces CAS and keys."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from sqlalchemy import func, select

from cadencia.tools.inventory.tables import products, sales_daily, stock
from cadencia.tools.store.store import Store

TOKEN = "shpat_fake-token-0001"
COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 8,
    "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0},
}


LOCATIONS = {"WH-MAD": 11, "WH-BOG": 12}
"""Sandbox warehouse → Shopify location number."""


def gid(kind: str, n: int) -> str:
    return f"gid://shopify/{kind}/{n}"


class FakeShopify:
    def __init__(self, shop: str = "https://lysa.myshopify.com") -> None:
        self.url = shop
        self.variants: dict[str, dict[str, Any]] = {}
        self.levels: dict[tuple[str, str], dict[str, int]] = {}
        self.discounts: dict[str, dict[str, Any]] = {}
        self.orders: list[dict[str, Any]] = []
        self.keys: dict[str, dict[str, Any]] = {}
        self.mutations: list[str] = []
        self.throttle_next = 0
        for n, (sku, kind, price, cost, on_hand) in enumerate(
            [
                ("ML-000001", "Makeup", "26.90", "8.34", 133),
                ("ML-000002", "Skincare", "31.50", "9.10", 40),
                ("XX-000009", "Apparel", "10.00", "2.00", 5),
            ],
            start=1,
        ):
            self.variants[sku] = {
                "id": gid("ProductVariant", n),
                "sku": sku,
                "title": "Default",
                "price": price,
                "compareAtPrice": None,
                "inventoryQuantity": on_hand,
                "product": {
                    "id": gid("Product", n),
                    "title": f"Product {sku}",
                    "productType": kind,
                    "status": "ACTIVE",
                },
                "inventoryItem": {"id": gid("InventoryItem", n), "unitCost": {"amount": cost, "currencyCode": "EUR"}},
            }
            self.levels[(gid("InventoryItem", n), gid("Location", 11))] = {
                "on_hand": on_hand,
                "available": on_hand - 3,
                "committed": 3,
            }
        self.orders.append(
            {
                "id": gid("Order", 1),
                "createdAt": "2026-03-01T10:00:00Z",
                "updatedAt": "2026-03-01T10:00:00Z",
                "currencyCode": "EUR",
                "lineItems": {"nodes": [self._line("ML-000001", 2, "53.80")]},
            }
        )

    @classmethod
    def from_store(cls, store: Store) -> FakeShopify:
        """The sandbox's catalogue, stock per warehouse (as locations) and daily sales (as one order per SKU-day)."""
        fake = cls()
        fake.variants, fake.levels, fake.orders = {}, {}, []
        with store.reading() as conn:
            rows = conn.execute(select(products).order_by(products.c.sku)).mappings().all()
            for n, row in enumerate(rows, start=1):
                on_hand = conn.execute(
                    select(func.coalesce(func.sum(stock.c.on_hand), 0)).where(stock.c.sku == row["sku"])
                ).scalar_one()
                compare = row["list_price_minor"] if row["list_price_minor"] > row["price_minor"] else None
                fake.variants[row["sku"]] = {
                    "id": gid("ProductVariant", n),
                    "sku": row["sku"],
                    "title": "Default",
                    "price": f"{row['price_minor'] / 100:.2f}",
                    "compareAtPrice": f"{compare / 100:.2f}" if compare else None,
                    "inventoryQuantity": int(on_hand),
                    "product": {
                        "id": gid("Product", n),
                        "title": row["name"],
                        "productType": row["category"].title(),
                        "status": row["status"].upper(),
                    },
                    "inventoryItem": {
                        "id": gid("InventoryItem", n),
                        "unitCost": {"amount": f"{row['cost_minor'] / 100:.2f}", "currencyCode": "EUR"},
                    },
                }
            for level in conn.execute(select(stock)).mappings():
                item = fake.variants[level["sku"]]["inventoryItem"]["id"]
                fake.levels[(item, gid("Location", LOCATIONS[level["warehouse_id"]]))] = {
                    "on_hand": level["on_hand"],
                    "available": level["on_hand"] - level["reserved"],
                    "committed": level["reserved"],
                }
            sales = conn.execute(select(sales_daily).order_by(sales_daily.c.day, sales_daily.c.sku)).mappings()
            for n, sale in enumerate(sales, start=1):
                if sale["units"] <= 0:
                    continue
                stamp = f"{sale['day']}T12:00:00Z"
                line = fake._line(sale["sku"], sale["units"], f"{sale['revenue_minor'] / 100:.2f}")
                fake.orders.append(
                    {"id": gid("Order", n), "createdAt": stamp, "updatedAt": stamp, "currencyCode": "EUR",
                     "lineItems": {"nodes": [line]}}
                )  # fmt: skip
        return fake

    def state(self) -> str:
        return json.dumps([self.variants, {f"{k[0]}@{k[1]}": v for k, v in self.levels.items()}, self.discounts])

    def _line(self, sku: str, qty: int, total: str) -> dict[str, Any]:
        v = self.variants[sku]
        return {
            "sku": sku,
            "currentQuantity": qty,
            "discountedTotalSet": {"shopMoney": {"amount": total, "currencyCode": "EUR"}},
            "variant": {
                "product": {"productType": v["product"]["productType"]},
                "inventoryItem": {"unitCost": {"amount": v["inventoryItem"]["unitCost"]["amount"]}},
            },
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})
        if self.throttle_next:
            self.throttle_next -= 1
            return httpx.Response(
                200,
                json={
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": {"cost": COST},
                },
            )
        body = json.loads(request.content)
        match = re.match(r"\s*(query|mutation) (\w+)", body["query"])
        assert match, body["query"]
        kind, op = match.groups()
        variables = body.get("variables") or {}
        if kind == "mutation":
            self.mutations.append(op)
        data = getattr(self, f"op_{op}")(variables, body["query"])
        return httpx.Response(200, json={"data": data, "extensions": {"cost": COST}})

    def op_Shop(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        return {"shop": {"currencyCode": "EUR"}}

    def op_Variants(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        nodes = list(self.variants.values())
        query = v.get("query") or ""
        if m := re.search(r'sku:"([^"]+)"', query):
            nodes = [n for n in nodes if n["sku"] == m.group(1)]
        if m := re.search(r"id:(\d+)", query):
            nodes = [n for n in nodes if n["id"].endswith(f"/{m.group(1)}")]
        if m := re.search(r'product_type:"([^"]+)"', query):
            nodes = [n for n in nodes if n["product"]["productType"].lower() == m.group(1)]
        for term in re.findall(r'(?:^|\s)"([^"]+)"', re.sub(r'\w+:"[^"]*"', "", query)):
            nodes = [n for n in nodes if term.lower() in (n["product"]["title"] + " " + n["sku"]).lower()]
        start = int(v.get("after") or 0)
        page = nodes[start : start + v["first"]]
        more = start + v["first"] < len(nodes)
        return {
            "productVariants": {"nodes": page, "pageInfo": {"hasNextPage": more, "endCursor": str(start + v["first"])}}
        }

    def op_Levels(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        nodes = [
            {
                "location": {"id": loc, "name": "Madrid"},
                "quantities": [{"name": k, "quantity": q} for k, q in qty.items()],
            }
            for (item, loc), qty in self.levels.items()
            if item == v["id"]
        ]
        return {"inventoryItem": {"inventoryLevels": {"nodes": nodes}}}

    def op_SetQuantities(self, v: dict[str, Any], query: str) -> dict[str, Any]:
        assert "@idempotent(key: $key)" in query and v["key"]
        if v["key"] in self.keys:
            return self.keys[v["key"]]
        errors = []
        for q in v["input"]["quantities"]:
            assert "changeFromQuantity" in q, "changeFromQuantity is mandatory from 2026-04"
            level = self.levels[(q["inventoryItemId"], q["locationId"])]
            if q["changeFromQuantity"] is not None and level["on_hand"] != q["changeFromQuantity"]:
                errors.append(
                    {"field": ["input"], "message": "The quantity is stale", "code": "CHANGE_FROM_QUANTITY_STALE"}
                )
                continue
            diff = q["quantity"] - level["on_hand"]
            level["on_hand"] += diff
            level["available"] += diff
        result = {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": None if errors else {"id": "gid://g/1"},
                "userErrors": errors,
            }
        }
        self.keys[v["key"]] = result
        return result

    def op_SetPrice(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        for change in v["variants"]:
            node = next(n for n in self.variants.values() if n["id"] == change["id"])
            node["price"] = change["price"]
        return {"productVariantsBulkUpdate": {"productVariants": v["variants"], "userErrors": []}}

    def _discount_node(self, id_: str) -> dict[str, Any]:
        d = self.discounts[id_]
        return {"id": id_, "automaticDiscount": {"__typename": "DiscountAutomaticBasic", **d}}

    def op_Discounts(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        nodes = [
            self._discount_node(i)
            for i, d in self.discounts.items()
            if v.get("query") != "status:active" or d["status"] == "ACTIVE"
        ]
        return {"automaticDiscountNodes": {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}}

    def op_Discount(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        return {"automaticDiscountNode": self._discount_node(v["id"]) if v["id"] in self.discounts else None}

    def op_CreateDiscount(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        d = v["discount"]
        new_id = gid("DiscountAutomaticNode", 100 + len(self.discounts))
        variant = d["customerGets"]["items"]["products"]["productVariantsToAdd"][0]
        sku = next(n["sku"] for n in self.variants.values() if n["id"] == variant)
        self.discounts[new_id] = {
            "title": d["title"],
            "startsAt": d["startsAt"],
            "endsAt": d["endsAt"],
            "status": "SCHEDULED",
            "customerGets": {
                "value": {"percentage": d["customerGets"]["value"]["percentage"]},
                "items": {"productVariants": {"nodes": [{"sku": sku}]}},
            },
        }
        return {"discountAutomaticBasicCreate": {"automaticDiscountNode": {"id": new_id}, "userErrors": []}}

    def _status(self, v: dict[str, Any], name: str, status: str) -> dict[str, Any]:
        self.discounts[v["id"]]["status"] = status
        return {name: {"automaticDiscountNode": {"id": v["id"]}, "userErrors": []}}

    def op_DeactivateDiscount(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        return self._status(v, "discountAutomaticDeactivate", "EXPIRED")

    def op_ActivateDiscount(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        return self._status(v, "discountAutomaticActivate", "SCHEDULED")

    def op_DeleteDiscount(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        self.discounts.pop(v["id"])
        return {"discountAutomaticDelete": {"deletedAutomaticDiscountId": v["id"], "userErrors": []}}

    def op_Orders(self, v: dict[str, Any], _: str) -> dict[str, Any]:
        since = re.search(r"updated_at:>'([^']+)'", v.get("query") or "")
        nodes = [o for o in self.orders if not since or o["updatedAt"] > since.group(1)]
        start = int(v.get("after") or 0)
        page = nodes[start : start + v["first"]]
        more = start + v["first"] < len(nodes)
        return {"orders": {"nodes": page, "pageInfo": {"hasNextPage": more, "endCursor": str(start + v["first"])}}}
