"""Shopify Admin GraphQL: the documents the inventory adapter sends, its transport and error mapping.

API version 2026-10 (configurable). Checked against shopify.dev (Admin GraphQL reference):
- /docs/api/admin-graphql/latest/mutations/inventorySetQuantities and /2026-07/input-objects/InventoryQuantityInput
  (`changeFromQuantity` is mandatory from 2026-04; a mismatch fails with CHANGE_FROM_QUANTITY_STALE)
- /docs/api/admin-graphql/2027-01/mutations/inventoryAdjustQuantities (`@idempotent(key:)` required from 2026-04)
- /docs/api/usage/idempotent-requests, /changelog/posts/compare-and-swap-redesign-for-inventory-set-quantities
- productVariantsBulkUpdate, productVariants, discountAutomaticBasicCreate / Deactivate / Activate / Delete,
  automaticDiscountNodes, orders (from memory of the reference; field spellings not re-read: unverified)
- Rate limits: /docs/api/usage/rate-limits (`extensions.cost.throttleStatus`, THROTTLED errors)
Unverified: that `inventorySetQuantities` accepts `@idempotent` (documented for inventoryAdjustQuantities);
the shop's time zone for discount dates (UTC is sent).
"""

from __future__ import annotations

from typing import Any

from cadencia.tools.errors import Conflict, VendorError
from cadencia.tools.vendors.http import VendorHttp

API_VERSION = "2026-10"

VARIANT = """id sku title price compareAtPrice inventoryQuantity
product { id title productType status }
inventoryItem { id unitCost { amount currencyCode } }"""

SHOP = "query Shop { shop { currencyCode } }"
VARIANTS = (
    "query Variants($first: Int!, $after: String, $query: String) { productVariants(first: $first, after: $after, "
    "query: $query) { nodes { " + VARIANT + " } pageInfo { hasNextPage endCursor } } }"
)
LEVELS = (
    "query Levels($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 50) { nodes { location { id name } "
    'quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } }'
)
SET_QUANTITIES = (
    "mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) { inventorySetQuantities(input: "
    "$input) @idempotent(key: $key) { inventoryAdjustmentGroup { id } userErrors { field message code } } }"
)
SET_PRICE = (
    "mutation SetPrice($productId: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate("
    "productId: $productId, variants: $variants) { productVariants { id price } userErrors { field message } } }"
)
DISCOUNTS = (
    "query Discounts($first: Int!, $after: String, $query: String) { automaticDiscountNodes(first: $first, "
    "after: $after, query: $query) { nodes { id automaticDiscount { __typename ... on DiscountAutomaticBasic { "
    "title startsAt endsAt status customerGets { value { ... on DiscountPercentage { percentage } } items { "
    "... on DiscountProducts { productVariants(first: 10) { nodes { sku } } } } } } } } "
    "pageInfo { hasNextPage endCursor } } }"
)
DISCOUNT = (
    "query Discount($id: ID!) { automaticDiscountNode(id: $id) { id automaticDiscount { __typename "
    "... on DiscountAutomaticBasic { title startsAt endsAt status customerGets { value { ... on DiscountPercentage "
    "{ percentage } } items { ... on DiscountProducts { productVariants(first: 10) { nodes { sku } } } } } } } } }"
)
CREATE_DISCOUNT = (
    "mutation CreateDiscount($discount: DiscountAutomaticBasicInput!) { discountAutomaticBasicCreate("
    "automaticBasicDiscount: $discount) { automaticDiscountNode { id } userErrors { field message code } } }"
)
DEACTIVATE_DISCOUNT = (
    "mutation DeactivateDiscount($id: ID!) { discountAutomaticDeactivate(id: $id) { automaticDiscountNode { id } "
    "userErrors { field message code } } }"
)
ACTIVATE_DISCOUNT = (
    "mutation ActivateDiscount($id: ID!) { discountAutomaticActivate(id: $id) { automaticDiscountNode { id } "
    "userErrors { field message code } } }"
)
DELETE_DISCOUNT = (
    "mutation DeleteDiscount($id: ID!) { discountAutomaticDelete(id: $id) { deletedAutomaticDiscountId "
    "userErrors { field message code } } }"
)
ORDERS = (
    "query Orders($first: Int!, $after: String, $query: String) { orders(first: $first, after: $after, "
    "query: $query, sortKey: UPDATED_AT) { nodes { id createdAt updatedAt currencyCode lineItems(first: 100) { "
    "nodes { sku currentQuantity discountedTotalSet { shopMoney { amount currencyCode } } variant { product { "
    "productType } inventoryItem { unitCost { amount } } } } } } "
    "pageInfo { hasNextPage endCursor } } }"
)


def search_term(value: str) -> str:
    """A value quoted for Shopify's search syntax, so it cannot add filters of its own."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ShopifyGraphQL:
    """POSTs GraphQL documents to one shop and turns every failure into our errors (no secret in any message)."""

    def __init__(self, http: VendorHttp, *, shop_url: str, api_version: str = API_VERSION) -> None:
        self._http = http
        self.endpoint = f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"

    async def run(self, document: str, variables: dict[str, Any], *, retry_safe: bool = True) -> dict[str, Any]:
        response = await self._http.send(
            "POST", self.endpoint, json={"query": document, "variables": variables}, retry_safe=retry_safe
        )
        scrub = self._http.scrub
        if response.status_code in (401, 403):
            raise VendorError(
                f"Shopify refused the access token (HTTP {response.status_code}); check the app's scopes and token",
                rule="auth",
            )
        try:
            body = response.json()
        except ValueError:
            raise VendorError(f"Shopify returned HTTP {response.status_code} without JSON") from None
        if response.status_code >= 400 or not isinstance(body, dict):
            raise VendorError(scrub(f"Shopify returned HTTP {response.status_code}: {str(body)[:200]}"))
        errors = body.get("errors")
        if errors:
            text = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise VendorError(scrub(f"Shopify GraphQL error: {text[:300]}"))
        data = body.get("data")
        if not isinstance(data, dict):
            raise VendorError("Shopify answered without data")
        return data


def raise_user_errors(payload: dict[str, Any] | None, what: str) -> None:
    """Mutation `userErrors` → Conflict for a stale compare-and-set, VendorError otherwise."""
    errors = (payload or {}).get("userErrors") or []
    if not errors:
        return
    codes = {e.get("code") for e in errors}
    text = "; ".join(str(e.get("message", "")) for e in errors)[:300]
    if "CHANGE_FROM_QUANTITY_STALE" in codes or "COMPARE_QUANTITY_STALE" in codes:
        raise Conflict(
            f"Shopify refused {what}: the quantity changed since it was read ({text}); read it again and decide anew",
            rule="stale",
        )
    raise VendorError(f"Shopify refused {what}: {text}")


def legacy_id(gid: str) -> str:
    """`gid://shopify/Location/456` → `456` (the number a person sees in the admin)."""
    return gid.rsplit("/", 1)[-1]
