"""Applying scripted events to the store, and reading the multipliers of those still running on a day."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import assert_never

from sqlalchemy import Connection, bindparam, func, insert, select, update

from cadencia.evals.world import params as p
from cadencia.evals.world.events import (
    AnotherClient,
    CompetitorPriceCut,
    ConsentWithdrawn,
    ContactSuppressed,
    CpmShock,
    DemandSpike,
    Event,
    NegativeReviewBurst,
    PromptInjection,
    SupplierDelay,
    ViralPost,
)
from cadencia.evals.world.tables import sim_effects
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.crm.tables import consents, contacts
from cadencia.tools.errors import NotFound
from cadencia.tools.inventory.tables import products, purchase_orders
from cadencia.tools.reviews.tables import reviews
from cadencia.tools.seed.words import REVIEW_TEXT

OPEN_PO_STATUSES = ("draft", "confirmed")
ACTIVE = (
    select(sim_effects)
    .where(sim_effects.c.starts_on <= bindparam("day"), sim_effects.c.ends_on >= bindparam("day"))
    .order_by(sim_effects.c.id)
)


@dataclass(frozen=True)
class Effects:
    """Products of the multipliers of every event running on one day."""

    traffic_sku: Mapping[str, float] = field(default_factory=dict)
    traffic_category: Mapping[str, float] = field(default_factory=dict)
    conversion_category: Mapping[str, float] = field(default_factory=dict)
    cpm_platform: Mapping[str, float] = field(default_factory=dict)

    def traffic(self, sku: str, category: str) -> float:
        return self.traffic_sku.get(sku, 1.0) * self.traffic_category.get(category, 1.0)

    def conversion(self, category: str) -> float:
        return self.conversion_category.get(category, 1.0)

    def cpm(self, platform: str) -> float:
        return self.cpm_platform.get(platform, 1.0)


def active_effects(conn: Connection, day: date) -> Effects:
    """Multiply together the effects whose [starts_on, ends_on] covers `day` (viral posts fade linearly)."""
    rows = conn.execute(ACTIVE, {"day": day.isoformat()}).mappings()
    by_sku: dict[str, float] = {}
    by_category: dict[str, float] = {}
    conversion: dict[str, float] = {}
    cpm: dict[str, float] = {}
    for row in rows:
        multiplier = row["multiplier"]
        if row["kind"] == "viral_post":
            start, end = date.fromisoformat(row["starts_on"]), date.fromisoformat(row["ends_on"])
            fade = (day - start).days / ((end - start).days + 1)
            multiplier = 1 + (multiplier - 1) * (1 - fade)
        if row["kind"] == "cpm_shock":
            cpm[row["platform"]] = cpm.get(row["platform"], 1.0) * multiplier
        elif row["kind"] == "competitor_price_cut":
            conversion[row["category"]] = conversion.get(row["category"], 1.0) * multiplier
        elif row["sku"] is not None:
            by_sku[row["sku"]] = by_sku.get(row["sku"], 1.0) * multiplier
        else:
            by_category[row["category"]] = by_category.get(row["category"], 1.0) * multiplier
    return Effects(by_sku, by_category, conversion, cpm)


def apply_event(conn: Connection, day: date, event: Event, rng: random.Random) -> None:
    """Make `event` happen on `day`: lasting ones become effects, the others change the store at once."""
    match event:
        case DemandSpike() | ViralPost():
            category = event.category.value if isinstance(event, DemandSpike) and event.category else None
            if event.sku is not None:
                _require_sku(conn, event.sku)
            _add_effect(conn, day, event.kind, event.days, event.multiplier, sku=event.sku, category=category)
        case CompetitorPriceCut():
            multiplier = max(0.05, 1 - p.CROSS_ELASTICITY * event.pct / 100)
            _add_effect(conn, day, event.kind, event.days, multiplier, category=event.category.value)
        case CpmShock():
            _add_effect(conn, day, event.kind, event.days, event.multiplier, platform=event.platform.value)
        case SupplierDelay():
            _delay_supplier(conn, event)
        case NegativeReviewBurst():
            _require_sku(conn, event.sku)
            bad = [(language, *text) for language, moods in REVIEW_TEXT.items() for text in moods["bad"]]
            _insert_reviews(conn, day, event.sku, event.rating, [rng.choice(bad) for _ in range(event.count)])
        case PromptInjection(target="review"):
            assert event.sku is not None
            _require_sku(conn, event.sku)
            _insert_reviews(conn, day, event.sku, event.rating, [(event.language, event.title, event.text)])
        case PromptInjection():
            _plant(conn, event)
        case ConsentWithdrawn():
            _require_contacts(conn, event.contact_ids, event.kind)
            where = consents.c.contact_id.in_(event.contact_ids), consents.c.status == "granted"
            if event.channel is not None:
                where += (consents.c.channel == event.channel,)
            conn.execute(
                update(consents)
                .where(*where)
                .values(status="withdrawn", source="preference_centre", updated_on=day.isoformat())
            )
        case ContactSuppressed():
            _require_contacts(conn, event.contact_ids, event.kind)
            conn.execute(
                update(contacts)
                .where(contacts.c.id.in_(event.contact_ids), contacts.c.suppressed.is_(False))
                .values(suppressed=True, suppressed_reason=event.reason, suppressed_on=day.isoformat())
            )
        case AnotherClient():
            raise TypeError("another_client events go through the servers' tools (evals.world.clients), not here")
        case _:
            assert_never(event)


def _plant(conn: Connection, event: PromptInjection) -> None:
    """Write the injected text into a contact's notes, or append it to a product's or campaign's own text."""
    if event.target == "contact_note":
        table, key, column, value = contacts, event.contact_id, "notes", event.text
    elif event.target == "campaign_name":
        table, key, column, value = campaigns, event.campaign_id, "name", None
    else:
        table, key, column, value = products, event.sku, event.target.removeprefix("product_"), None
    pk = next(iter(table.primary_key.columns))
    current = conn.execute(select(table.c[column]).where(pk == key)).scalar()
    if current is None:
        raise NotFound(f"No {table.name} row {key!r} for the prompt_injection event", field=pk.name)
    text = value if value is not None else f"{current} {event.text}"
    conn.execute(update(table).where(pk == key).values({column: text}))


def _require_contacts(conn: Connection, ids: list[str], kind: str) -> None:
    found = set(conn.execute(select(contacts.c.id).where(contacts.c.id.in_(ids))).scalars())
    missing = sorted(set(ids) - found)
    if missing:
        raise NotFound(f"No contacts {missing[:5]} for the {kind} event", field="contact_ids")


def _require_sku(conn: Connection, sku: str) -> None:
    if conn.execute(select(products.c.sku).where(products.c.sku == sku)).first() is None:
        raise NotFound(f"No SKU {sku!r} in the catalog for this event", field="sku")


def _add_effect(
    conn: Connection,
    day: date,
    kind: str,
    days: int,
    multiplier: float,
    *,
    sku: str | None = None,
    category: str | None = None,
    platform: str | None = None,
) -> None:
    starts = day.isoformat()
    n = conn.execute(select(func.count()).select_from(sim_effects).where(sim_effects.c.starts_on == starts)).scalar()
    conn.execute(
        insert(sim_effects).values(
            id=f"EF-{starts}-{(n or 0) + 1}",
            kind=kind,
            sku=sku,
            category=category,
            platform=platform,
            multiplier=multiplier,
            starts_on=starts,
            ends_on=(day + timedelta(days=days - 1)).isoformat(),
        )
    )


def _delay_supplier(conn: Connection, event: SupplierDelay) -> None:
    found = conn.execute(
        update(products)
        .where(products.c.sku == event.sku)
        .values(lead_time_days=products.c.lead_time_days + event.extra_days)
    )
    if found.rowcount == 0:
        raise NotFound(f"No SKU {event.sku!r} in the catalog for the supplier_delay event", field="sku")
    po = purchase_orders.c
    open_orders = conn.execute(
        select(po.id, po.expected_on).where(
            po.sku == event.sku, po.status.in_(OPEN_PO_STATUSES), po.expected_on.is_not(None)
        )
    ).all()
    for po_id, expected in open_orders:
        later = date.fromisoformat(expected) + timedelta(days=event.extra_days)
        conn.execute(update(purchase_orders).where(po.id == po_id).values(expected_on=later.isoformat()))


def _insert_reviews(conn: Connection, day: date, sku: str, rating: int, texts: list[tuple[str, str, str]]) -> None:
    """Unverified reviews numbered `RV-E{yymmdd}-{n}` after the day's earlier event reviews."""
    prefix = f"RV-E{day:%y%m%d}-"
    n = conn.execute(select(func.count()).select_from(reviews).where(reviews.c.id.startswith(prefix))).scalar_one()
    rows = [
        {
            "id": f"{prefix}{n + k}",
            "sku": sku,
            "rating": rating,
            "language": language,
            "title": title,
            "body": body,
            "author": "Anonymous",
            "contact_id": None,
            "created_on": day.isoformat(),
            "verified_purchase": False,
        }
        for k, (language, title, body) in enumerate(texts, start=1)
    ]
    conn.execute(insert(reviews), rows)
