"""The CRM's rows: contacts, consent per channel, saved segments and one past newsletter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from cadencia.tools.seed import words
from cadencia.tools.seed.rand import stream
from cadencia.tools.seed.sizes import Sizes

CHANNELS = ("email", "sms", "whatsapp")
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
CONSENT_RATES = {"email": 0.62, "sms": 0.28, "whatsapp": 0.16}
HISTORY_SEND_MAX_CONTACTS = 50_000
"""The past newsletter is only drawn for worlds this small (its recipients are listed one by one)."""


def contact_id(i: int) -> str:
    return f"C-{i:07d}"


def contact(seed: int, i: int, today: date) -> dict[str, Any]:
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


def contacts(seed: int, n: int, today: date) -> Iterator[dict[str, Any]]:
    return (contact(seed, i, today) for i in range(n))


def consents(seed: int, n: int, today: date) -> Iterator[dict[str, Any]]:
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
    return granted and not contact(seed, i, today)["suppressed"]


SEGMENTS = (
    ("SEG-VIP", "VIP buyers", {"min_orders": 5}),
    ("SEG-LAPSED", "Lapsed 90 days", {"last_order_before_days": 90, "min_orders": 1}),
    ("SEG-SKIN", "Skincare fans", {"favorite_category": "skincare"}),
)


def segments(today: date) -> list[dict[str, Any]]:
    sent_on = (today - timedelta(days=3)).isoformat()
    return [{"id": i, "name": name, "rules": json.dumps(rules), "created_on": sent_on} for i, name, rules in SEGMENTS]


def history_message(today: date) -> dict[str, Any]:
    """One newsletter sent three days ago, so frequency caps have history."""
    return {
        "id": "MSG-000000",
        "channel": "email",
        "subject": "Spring preview",
        "body": "Our spring rituals are coming soon.",
        "claim_ids": "[]",
        "ai_generated": False,
        "created_on": (today - timedelta(days=3)).isoformat(),
    }


def history_recipients(seed: int, sizes: Sizes, today: date) -> list[str]:
    """A quarter of the contacts who could lawfully receive it: email consent granted and not suppressed."""
    if sizes.contacts > HISTORY_SEND_MAX_CONTACTS:
        return []
    rng = stream(seed, "history-send")
    return [contact_id(i) for i in range(sizes.contacts) if rng.random() < 0.25 and _emailable(seed, i, today)]


def history_send(recipients: int, today: date) -> dict[str, Any]:
    sent_on = (today - timedelta(days=3)).isoformat()
    return {
        "id": "SND-000000",
        "message_id": "MSG-000000",
        "segment_id": "SEG-VIP",
        "channel": "email",
        "status": "sent",
        "scheduled_for": sent_on,
        "sent_on": sent_on,
        "recipients": recipients,
        "skipped": 0,
    }


def history_deliveries(recipients: list[str], today: date) -> Iterator[dict[str, Any]]:
    sent_on = (today - timedelta(days=3)).isoformat()
    return (
        {"send_id": "SND-000000", "contact_id": cid, "channel": "email", "sent_on": sent_on, "kind": "marketing"}
        for cid in recipients
    )
