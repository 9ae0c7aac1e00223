"""Seed the sandbox store with Maison Lysa: same seed, same bytes (see `Store.state_hash`).

`small` is the demo (≈40 SKUs, ≈2,000 contacts); `large` is for benchmarks (100k SKUs, 1M contacts) and is
generated in fixed-size batches, so memory stays bounded whatever the scale.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import islice
from typing import Any

from sqlalchemy import Table, insert

from cadencia.tools.ads.tables import ad_performance, campaigns
from cadencia.tools.crm.tables import consents, contacts, deliveries, messages, segments, sends
from cadencia.tools.inventory.tables import products, sales_daily, stock, warehouses
from cadencia.tools.reviews.tables import review_replies, reviews
from cadencia.tools.seed import words
from cadencia.tools.seed.rand import poisson, stream
from cadencia.tools.store.claims import claims
from cadencia.tools.store.store import DEFAULT_START_DAY, Store

BATCH = 5_000
BRAND = "Maison Lysa"
CURRENCY = "EUR"
CHANNELS = ("email", "sms", "whatsapp")


class Scale(StrEnum):
    SMALL = "small"
    LARGE = "large"


@dataclass(frozen=True)
class Sizes:
    skus: int
    contacts: int
    reviews: int
    campaigns_per_platform: int
    history_days: int


SIZES = {
    Scale.SMALL: Sizes(skus=40, contacts=2_000, reviews=500, campaigns_per_platform=3, history_days=63),
    Scale.LARGE: Sizes(skus=100_000, contacts=1_000_000, reviews=50_000, campaigns_per_platform=10, history_days=56),
}

Progress = Callable[[str, int], None]


def _batched(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _insert(store: Store, table: Table, rows: Iterable[dict[str, Any]], progress: Progress | None) -> None:
    for chunk in _batched(rows):
        with store.writing() as conn:
            conn.execute(insert(table), chunk)
        if progress:
            progress(table.name, len(chunk))


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
    catalog = list(_products(seed, sizes.skus)) if scale is Scale.SMALL else None
    _insert(store, products, catalog if catalog is not None else _products(seed, sizes.skus), progress)
    _insert(store, stock, _stock(seed, sizes.skus), progress)
    _insert(store, sales_daily, _sales(seed, sizes, today), progress)
    _insert(store, campaigns, _campaigns(seed, sizes, today), progress)
    _insert(store, ad_performance, _performance(seed, sizes, today), progress)
    _insert(store, contacts, _contacts(seed, sizes.contacts, today), progress)
    _insert(store, consents, _consents(seed, sizes.contacts, today), progress)
    _insert(store, reviews, _reviews(seed, sizes, today), progress)
    _insert(store, review_replies, _replies(seed, sizes, today), progress)
    _seed_crm_history(store, seed, sizes, today)


# -- catalog ----------------------------------------------------------------------------------------------------


def sku_id(i: int) -> str:
    return f"ML-{i:06d}"


def _product(seed: int, i: int) -> dict[str, Any]:
    rng = stream(seed, "product", i)
    category = ("skincare", "makeup", "fragrance")[i % 3] if i >= 3 else ("skincare", "makeup", "fragrance")[i]
    spec = words.CATEGORIES[category]
    kind = rng.choice(spec["kinds"])  # type: ignore[arg-type]
    theme = rng.choice(spec["themes"])  # type: ignore[arg-type]
    size = rng.choice(spec["sizes"])  # type: ignore[arg-type]
    low, high = spec["price"]  # type: ignore[misc]
    list_price = round(rng.randint(low, high) / 100) * 100 - 10
    name = " ".join(part for part in (kind, theme, size) if part)
    return {
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
        "elasticity": round(rng.uniform(-3.2, -1.6), 3),
        "base_daily_demand": round(rng.lognormvariate(1.4, 0.6), 3),
    }


def _products(seed: int, n: int) -> Iterator[dict[str, Any]]:
    return (_product(seed, i) for i in range(n))


def _stock(seed: int, n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        rng = stream(seed, "stock", i)
        demand = _product(seed, i)["base_daily_demand"]
        # A deliberate spread: some SKUs near stockout, most comfortable, some overstocked.
        cover = rng.choice([3, 6, 10, 20, 30, 35, 45, 60, 90, 150])
        total = max(0, round(demand * cover))
        share = rng.uniform(0.55, 0.8)
        yield {"sku": sku_id(i), "warehouse_id": "WH-MAD", "on_hand": round(total * share), "reserved": 0}
        yield {"sku": sku_id(i), "warehouse_id": "WH-BOG", "on_hand": total - round(total * share), "reserved": 0}


def weekly_season(day: date) -> float:
    """Weekend lift for online beauty (≈ +15% Sat/Sun)."""
    return 1.15 if day.weekday() >= 5 else 0.96


def _sales(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    for i in range(sizes.skus):
        product = _product(seed, i)
        rng = stream(seed, "sales", i)
        for back in range(sizes.history_days, 0, -1):
            day = today - timedelta(days=back)
            units = poisson(rng, product["base_daily_demand"] * weekly_season(day))
            yield {
                "sku": product["sku"],
                "day": day.isoformat(),
                "units": units,
                "revenue_minor": units * product["price_minor"],
                "lost_units": 0,
            }


# -- ads --------------------------------------------------------------------------------------------------------

PLATFORMS = {
    # platform: (CPM minor, CTR, CVR, attribution inflation range)
    "meta": (1170, 0.0088, 0.040, (1.6, 2.4)),
    "google": (1270, 0.0200, 0.045, (1.2, 1.6)),
    "tiktok": (1230, 0.0080, 0.039, (1.8, 2.8)),
}
OBJECTIVES = ("conversions", "traffic", "awareness")


def campaign_id(platform: str, j: int) -> str:
    return f"CMP-{platform[:2].upper()}{j:03d}"


def _campaign(seed: int, platform: str, j: int, skus: int, today: date) -> dict[str, Any]:
    rng = stream(seed, "campaign", platform, j)
    budget = rng.choice([3_000, 5_000, 8_000, 12_000, 15_000, 20_000])
    low, high = PLATFORMS[platform][3]
    # Saturation point relative to budget: < 1 means the campaign already runs past its efficient spend.
    saturation = round(budget * rng.choice([0.4, 0.7, 1.0, 1.5, 2.5]))
    sku = sku_id(rng.randrange(min(skus, 40))) if j % 2 == 0 else None
    return {
        "id": campaign_id(platform, j),
        "platform": platform,
        "name": f"{platform.title()} · {['Prospecting', 'Retargeting', 'Brand', 'Launch', 'Always-on'][j % 5]} {j + 1}",
        "status": "active" if j < 3 or rng.random() < 0.7 else "paused",
        "objective": OBJECTIVES[j % 3],
        "currency": CURRENCY,
        "daily_budget_minor": budget,
        "sku": sku,
        "holdout_pct": 10 if j == 0 else 0,
        "created_on": (today - timedelta(days=120)).isoformat(),
        "saturation_minor": saturation,
        "hill_alpha": round(rng.uniform(0.9, 2.2), 3),
        "adstock_theta": round(rng.uniform(0.5, 0.8), 3),
        "response_max_minor": round(saturation * rng.uniform(2.5, 6.0)),
        "attribution_inflation": round(rng.uniform(low, high), 3),
    }


def _campaign_rows(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    for platform in PLATFORMS:
        for j in range(sizes.campaigns_per_platform):
            yield _campaign(seed, platform, j, sizes.skus, today)


def _campaigns(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    return _campaign_rows(seed, sizes, today)


def hill(x: float, half: float, alpha: float) -> float:
    """Hill saturation in [0, 1): x^α / (x^α + half^α)."""
    if x <= 0:
        return 0.0
    return x**alpha / (x**alpha + half**alpha)


def _performance(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    for c in _campaign_rows(seed, sizes, today):
        rng = stream(seed, "performance", c["id"])
        cpm, ctr, cvr, _ = PLATFORMS[c["platform"]]
        carry = 0.0
        for back in range(sizes.history_days, 0, -1):
            day = today - timedelta(days=back)
            # Budgets moved over the history (so marginal ROAS is estimable), delivery noise on top.
            phase = (sizes.history_days - back) // 14
            level = (0.6, 1.0, 1.3, 0.8, 1.1)[phase % 5]
            spend = round(c["daily_budget_minor"] * level * rng.uniform(0.85, 1.0))
            carry = spend + c["adstock_theta"] * carry
            effective = carry * (1 - c["adstock_theta"])
            incremental = c["response_max_minor"] * hill(effective, c["saturation_minor"], c["hill_alpha"])
            attributed = round(incremental * c["attribution_inflation"] * rng.uniform(0.9, 1.1))
            impressions = round(spend / cpm * 1000 * rng.uniform(0.9, 1.1))
            clicks = poisson(rng, impressions * ctr)
            aov = 5500
            conversions = max(round(attributed / aov), min(clicks, poisson(rng, clicks * cvr * 0.2)))
            exposed = impressions // 3
            holdout_users = exposed * c["holdout_pct"] // (100 - c["holdout_pct"]) if c["holdout_pct"] else 0
            base_rate = conversions / exposed * 0.6 if exposed else 0
            yield {
                "campaign_id": c["id"],
                "day": day.isoformat(),
                "spend_minor": spend,
                "impressions": impressions,
                "clicks": clicks,
                "conversions": conversions,
                "revenue_minor": attributed,
                "holdout_users": holdout_users,
                "holdout_conversions": poisson(rng, holdout_users * base_rate) if holdout_users else 0,
                "exposed_users": exposed if c["holdout_pct"] else 0,
            }


# -- crm --------------------------------------------------------------------------------------------------------

COUNTRIES = ("ES", "ES", "ES", "CO", "CO", "FR", "FR", "US")
NOTES = (
    "",
    "",
    "",
    "",
    "Prefers fragrance samples.",
    "Asked about vegan options.",
    "VIP since 2024.",
    "Complained about late delivery in January.",
)


def contact_id(i: int) -> str:
    return f"C-{i:07d}"


def _contact(seed: int, i: int, today: date) -> dict[str, Any]:
    rng = stream(seed, "contact", i)
    country = rng.choice(COUNTRIES)
    first = rng.choice(words.FIRST_NAMES[country])
    last = rng.choice(words.LAST_NAMES[country])
    orders = min(40, int(rng.expovariate(0.6)))
    last_order = (today - timedelta(days=rng.randint(1, 400))).isoformat() if orders else None
    ascii_first = first.encode("ascii", "ignore").decode().lower() or "client"
    ascii_last = last.encode("ascii", "ignore").decode().lower() or "lysa"
    return {
        "id": contact_id(i),
        "first_name": first,
        "last_name": last,
        "email": f"{ascii_first}.{ascii_last}.{i}@example.com",
        "phone": f"{words.PHONE_PREFIX[country]}{rng.randint(10_000_000, 99_999_999)}",
        "country": country,
        "language": words.LANGUAGE[country],
        "created_on": (today - timedelta(days=rng.randint(30, 1200))).isoformat(),
        "orders_count": orders,
        "lifetime_value_minor": orders * rng.randint(3_000, 9_000),
        "last_order_on": last_order,
        "favorite_category": rng.choice(["skincare", "makeup", "fragrance"]) if orders else None,
        "suppressed": rng.random() < 0.03,
        "notes": rng.choice(NOTES),
    }


def _contacts(seed: int, n: int, today: date) -> Iterator[dict[str, Any]]:
    return (_contact(seed, i, today) for i in range(n))


CONSENT_RATES = {"email": 0.62, "sms": 0.28, "whatsapp": 0.16}


def _consents(seed: int, n: int, today: date) -> Iterator[dict[str, Any]]:
    for i in range(n):
        rng = stream(seed, "consent", i)
        for channel in CHANNELS:
            draw = rng.random()
            if draw < CONSENT_RATES[channel]:
                status = "granted"
            elif draw < CONSENT_RATES[channel] + 0.05:
                status = "withdrawn"
            else:
                status = "none"
            yield {
                "contact_id": contact_id(i),
                "channel": channel,
                "status": status,
                "source": rng.choice(["checkout", "newsletter_form", "in_store", "import_2024"]),
                "legal_basis": "consent",
                "updated_on": (today - timedelta(days=rng.randint(1, 700))).isoformat(),
            }


def _emailable(seed: int, i: int, today: date) -> bool:
    """Email consent granted (the first draw of the contact's consent stream) and not suppressed."""
    granted = stream(seed, "consent", i).random() < CONSENT_RATES["email"]
    return granted and not _contact(seed, i, today)["suppressed"]


def _seed_crm_history(store: Store, seed: int, sizes: Sizes, today: date) -> None:
    """A few saved segments and one newsletter sent three days ago, so frequency caps have history."""
    sent_on = (today - timedelta(days=3)).isoformat()
    with store.writing() as conn:
        conn.execute(
            insert(segments),
            [
                {"id": "SEG-VIP", "name": "VIP buyers", "rules": json.dumps({"min_orders": 5}), "created_on": sent_on},
                {
                    "id": "SEG-LAPSED",
                    "name": "Lapsed 90 days",
                    "rules": json.dumps({"last_order_before_days": 90, "min_orders": 1}),
                    "created_on": sent_on,
                },
                {
                    "id": "SEG-SKIN",
                    "name": "Skincare fans",
                    "rules": json.dumps({"favorite_category": "skincare"}),
                    "created_on": sent_on,
                },
            ],
        )
        conn.execute(
            insert(messages).values(
                id="MSG-000000",
                channel="email",
                subject="Spring preview",
                body="Our spring rituals are coming soon.",
                claim_ids="[]",
                ai_generated=False,
                created_on=sent_on,
            )
        )
    rng = stream(seed, "history-send")
    # Only to contacts who could lawfully receive it: email consent granted and not suppressed.
    recipients = (
        [contact_id(i) for i in range(sizes.contacts) if rng.random() < 0.25 and _emailable(seed, i, today)]
        if sizes.contacts <= 50_000
        else []
    )
    with store.writing() as conn:
        conn.execute(
            insert(sends).values(
                id="SND-000000",
                message_id="MSG-000000",
                segment_id="SEG-VIP",
                channel="email",
                status="sent",
                scheduled_for=sent_on,
                sent_on=sent_on,
                recipients=len(recipients),
                skipped=0,
            )
        )
    _insert(
        store,
        deliveries,
        (
            {"send_id": "SND-000000", "contact_id": cid, "channel": "email", "sent_on": sent_on, "kind": "marketing"}
            for cid in recipients
        ),
        None,
    )


# -- reviews ----------------------------------------------------------------------------------------------------


def _review(seed: int, k: int, sizes: Sizes, today: date) -> dict[str, Any]:
    rng = stream(seed, "review", k)
    rating = rng.choices([5, 4, 3, 2, 1], weights=[48, 28, 11, 6, 7])[0]
    language = rng.choice(["es", "es", "en", "fr"])
    mood = "good" if rating >= 4 else "mixed" if rating == 3 else "bad"
    title, body = rng.choice(words.REVIEW_TEXT[language][mood])
    sku_index = min(sizes.skus - 1, int(rng.paretovariate(1.2)) - 1) if sizes.skus > 40 else rng.randrange(sizes.skus)
    contact = rng.randrange(sizes.contacts)
    first = _contact(seed, contact, today)
    return {
        "id": f"RV-{k:06d}",
        "sku": sku_id(sku_index),
        "rating": rating,
        "language": language,
        "title": title,
        "body": body,
        "author": f"{first['first_name']} {first['last_name'][0]}.",
        "contact_id": first["id"] if rng.random() < 0.7 else None,
        "created_on": (today - timedelta(days=rng.randint(1, 365))).isoformat(),
        "verified_purchase": rng.random() < 0.8,
    }


def _reviews(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    return (_review(seed, k, sizes, today) for k in range(sizes.reviews))


def _replies(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    for k in range(sizes.reviews):
        review = _review(seed, k, sizes, today)
        if review["rating"] >= 4 and stream(seed, "reply", k).random() < 0.3:
            yield {
                "review_id": review["id"],
                "body": "Thank you for your kind words! — The Maison Lysa team",
                "claim_ids": "[]",
                "created_on": review["created_on"],
            }
