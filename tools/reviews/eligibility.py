"""Who may be asked for a review: consented buyers, not suppressed, outside the cooldown and the frequency cap.

Windows count back from the store's today, as in the CRM's frequency cap: a message sent from `today - (days - 1)`
to today is inside a window of `days` days (with a 7-day window, a delivery 6 days ago counts, 7 days ago does not).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, func, select

from cadencia.tools.crm.models import Channel
from cadencia.tools.crm.tables import consents, contacts, deliveries
from cadencia.tools.errors import InvalidArgument, NotFound
from cadencia.tools.limits import MessagingLimits
from cadencia.tools.reviews.models import ContactEligibility, IneligibleReason
from cadencia.tools.reviews.tables import review_requests, reviews

MAX_REVIEW_REQUEST_CONTACTS = 200
GRANTED = "granted"
WITHDRAWN = "withdrawn"


def window_start(today: date, days: int) -> str:
    """First ISO day inside a window of `days` days ending today."""
    return (today - timedelta(days=days - 1)).isoformat()


def check_contact_ids(contact_ids: Sequence[str]) -> None:
    if not contact_ids:
        raise InvalidArgument("give at least one contact id", field="contact_ids")
    if len(contact_ids) > MAX_REVIEW_REQUEST_CONTACTS:
        raise InvalidArgument(
            f"at most {MAX_REVIEW_REQUEST_CONTACTS} contacts per call (got {len(contact_ids)}); split the list",
            field="contact_ids",
        )
    duplicates = sorted(c for c, n in Counter(contact_ids).items() if n > 1)
    if duplicates:
        raise InvalidArgument(f"contact_ids lists {', '.join(duplicates)} more than once", field="contact_ids")


def eligibility(
    conn: Connection,
    *,
    today: date,
    limits: MessagingLimits,
    sku: str,
    channel: Channel,
    contact_ids: Sequence[str],
) -> list[ContactEligibility]:
    """Eligibility of each contact, in the order given; unknown contact ids are a NotFound error."""
    check_contact_ids(contact_ids)
    ids = list(contact_ids)
    people = {
        r["id"]: r
        for r in conn.execute(
            select(contacts.c.id, contacts.c.suppressed, contacts.c.orders_count).where(contacts.c.id.in_(ids))
        ).mappings()
    }
    unknown = [c for c in ids if c not in people]
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        raise NotFound(
            f"No contact {shown}; use contact ids from the CRM capability's contact list", field="contact_ids"
        )
    consent = dict(
        conn.execute(
            select(consents.c.contact_id, consents.c.status).where(
                consents.c.contact_id.in_(ids), consents.c.channel == channel.value
            )
        ).all()
    )
    cooled = set(
        conn.execute(
            select(review_requests.c.contact_id).where(
                review_requests.c.contact_id.in_(ids),
                review_requests.c.sent_on >= window_start(today, limits.review_request_cooldown_days),
                review_requests.c.sent_on <= today.isoformat(),
            )
        ).scalars()
    )
    recent = dict(
        conn.execute(
            select(deliveries.c.contact_id, func.count())
            .where(
                deliveries.c.contact_id.in_(ids),
                deliveries.c.channel == channel.value,
                deliveries.c.sent_on >= window_start(today, limits.frequency_window_days),
                deliveries.c.sent_on <= today.isoformat(),
            )
            .group_by(deliveries.c.contact_id)
        ).all()
    )
    reviewed = set(
        conn.execute(select(reviews.c.contact_id).where(reviews.c.contact_id.in_(ids), reviews.c.sku == sku)).scalars()
    )
    out = []
    for contact_id in ids:
        person = people[contact_id]
        reasons: list[IneligibleReason] = []
        status = consent.get(contact_id)
        if status == WITHDRAWN:
            reasons.append(IneligibleReason.CONSENT_WITHDRAWN)
        elif status != GRANTED:
            reasons.append(IneligibleReason.NO_CONSENT)
        if person["suppressed"]:
            reasons.append(IneligibleReason.SUPPRESSED)
        if person["orders_count"] <= 0:
            reasons.append(IneligibleReason.NO_PURCHASE)
        if contact_id in cooled:
            reasons.append(IneligibleReason.COOLDOWN)
        if int(recent.get(contact_id, 0)) >= limits.frequency_cap:
            reasons.append(IneligibleReason.FREQUENCY_CAPPED)
        if contact_id in reviewed:
            reasons.append(IneligibleReason.ALREADY_REVIEWED)
        out.append(ContactEligibility(contact_id=contact_id, eligible=not reasons, reasons=reasons))
    return out


def describe_ineligible(rows: Sequence[ContactEligibility], shown: int = 20) -> str:
    """'C-1 (no_consent, suppressed); C-2 (cooldown)' for the first `shown` ineligible contacts."""
    bad = [r for r in rows if not r.eligible]
    text = "; ".join(f"{r.contact_id} ({', '.join(r.reasons)})" for r in bad[:shown])
    return text + (f"; and {len(bad) - shown} more" if len(bad) > shown else "")
