"""Seed the sandbox store with Maison Lysa: same seed, same bytes (see `Store.state_hash`).

`small` is the demo (≈40 SKUs, ≈2,000 contacts); `large` is for benchmarks (100k SKUs, 1M contacts) and is
generated and bulk-loaded in fixed-size batches (`bulk.py`), so memory stays bounded whatever the scale. Only what a
shop, an ad platform, a review site and a CRM would record is written; the latent traits the past was drawn from
are not (`latent.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from sqlalchemy import insert

from cadencia.tools.ads.tables import ad_performance
from cadencia.tools.ads.tables import campaigns as campaigns_table
from cadencia.tools.crm.tables import consents, contacts, deliveries, messages, segments, sends
from cadencia.tools.inventory.tables import products, sales_daily, stock, warehouses
from cadencia.tools.reviews.tables import review_replies, reviews
from cadencia.tools.seed import ads, catalog, crm, words
from cadencia.tools.seed import reviews as review_rows
from cadencia.tools.seed.bulk import indexes_deferred, load
from cadencia.tools.seed.latent import CampaignTraits, ProductTraits
from cadencia.tools.seed.sizes import BRAND, CURRENCY, SIZES, Scale
from cadencia.tools.store.claims import claims
from cadencia.tools.store.store import DEFAULT_START_DAY, Store

Progress = Callable[[str, int], None]

LOADED = (
    products,
    stock,
    sales_daily,
    campaigns_table,
    ad_performance,
    contacts,
    consents,
    reviews,
    review_replies,
    deliveries,
)
"""Tables loaded in bulk, whose secondary indexes are built once after the load."""


def seed_store(
    store: Store,
    *,
    seed: int = 7,
    scale: Scale = Scale.SMALL,
    today: date = DEFAULT_START_DAY,
    progress: Progress | None = None,
) -> None:
    """Fill an empty store. Deterministic: the same (seed, scale, today) gives the same `state_hash()`."""
    if store.is_seeded():
        raise ValueError("store is already seeded; use a new database")
    sizes = SIZES[scale]
    with store.writing() as conn:
        store.set_world(conn, "brand", BRAND)
        store.set_world(conn, "currency", CURRENCY)
        store.set_world(conn, "today", today.isoformat())
        store.set_world(conn, "seed", str(seed))
        store.set_world(conn, "scale", scale.value)
        conn.execute(
            insert(warehouses),
            [
                {"id": "WH-MAD", "name": "Madrid", "country": "ES"},
                {"id": "WH-BOG", "name": "Bogotá", "country": "CO"},
            ],
        )
        conn.execute(
            insert(claims),
            [
                {"id": cid, "text": text, "category": cat, "language": "en", "approved": ok, "skus": "[]"}
                for cid, text, cat, ok in words.CLAIMS
            ],
        )
    with indexes_deferred(store, LOADED, progress):
        load(store, products, catalog.products(seed, sizes.skus), progress)
        load(store, stock, catalog.stock(seed, sizes.skus), progress)
        load(store, sales_daily, catalog.sales(seed, sizes, today), progress)
        load(store, campaigns_table, ads.campaigns(seed, sizes, today), progress)
        load(store, ad_performance, ads.performance(seed, sizes, today), progress)
        load(store, contacts, crm.contacts(seed, sizes.contacts, today), progress)
        load(store, consents, crm.consents(seed, sizes.contacts, today), progress)
        load(store, reviews, review_rows.reviews(seed, sizes, today), progress)
        load(store, review_replies, review_rows.replies(seed, sizes, today), progress)
        recipients = crm.history_recipients(seed, sizes, today)
        with store.writing() as conn:
            conn.execute(insert(segments), crm.segments(today))
            conn.execute(insert(messages).values(**crm.history_message(today)))
            conn.execute(insert(sends).values(**crm.history_send(len(recipients), today)))
        load(store, deliveries, crm.history_deliveries(recipients, today))


def product_traits(seed: int, scale: Scale) -> Iterator[tuple[str, ProductTraits]]:
    """(SKU, traits) of every product `seed_store(seed=seed, scale=scale)` writes, in SKU order."""
    for i in range(SIZES[scale].skus):
        row, traits = catalog.product(seed, i)
        yield row["sku"], traits


def campaign_traits(seed: int, scale: Scale) -> Iterator[tuple[str, CampaignTraits]]:
    """(campaign id, traits) of every campaign `seed_store(seed=seed, scale=scale)` writes."""
    for row, traits in ads.all_campaigns(seed, SIZES[scale], DEFAULT_START_DAY):
        yield row["id"], traits
