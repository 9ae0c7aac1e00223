"""Who may be asked for a review: whoever the CRM may message on the channel (`marketing_blocks`: consent,
suppression, frequency cap), who bought, has not reviewed the SKU and is outside the review-request cooldown.

The cooldown counts back from the store's today like the CRM's frequency cap: a request sent from
`today - (days - 1)` to today is inside a window of `days` days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, select

from cadencia.tools.crm.eligibility import marketing_blocks
from cadencia.tools.crm.models import Channel
from cadencia.tools.crm.tables import contacts
from cadencia.tools.errors import InvalidArgument, NotFound
from cadencia.tools.limits import MessagingLimits
from cadencia.tools.reviews.models import ContactEligibility, IneligibleReason
from cadencia.tools.reviews.tables import review_requests, reviews

MAX_REVIEW_REQUEST_CONTACTS = 200
REASON_ORDER = list(IneligibleReason)


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
    people = dict(conn.execute(select(contacts.c.id, contacts.c.orders_count).where(contacts.c.id.in_(ids))).all())
    unknown = [c for c in ids if c not in people]
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        raise NotFound(
            f"No contact {shown}; use contact ids from the CRM capability's contact list", field="contact_ids"
        )
    blocked = marketing_blocks(conn, ids, channel, today, limits)
    cooled = set(
        conn.execute(
            select(review_requests.c.contact_id).where(
                review_requests.c.contact_id.in_(ids),
                review_requests.c.sent_on >= window_start(today, limits.review_request_cooldown_days),
                review_requests.c.sent_on <= today.isoformat(),
            )
        ).scalars()
    )
    reviewed = set(
        conn.execute(select(reviews.c.contact_id).where(reviews.c.contact_id.in_(ids), reviews.c.sku == sku)).scalars()
    )
    out = []
    for contact_id in ids:
        reasons = [IneligibleReason(skip.value) for skip in blocked[contact_id]]
        if people[contact_id] <= 0:
            reasons.append(IneligibleReason.NO_PURCHASE)
        if contact_id in cooled:
            reasons.append(IneligibleReason.COOLDOWN)
        if contact_id in reviewed:
            reasons.append(IneligibleReason.ALREADY_REVIEWED)
        reasons.sort(key=REASON_ORDER.index)
        out.append(ContactEligibility(contact_id=contact_id, eligible=not reasons, reasons=reasons))
    return out


def describe_ineligible(rows: Sequence[ContactEligibility], shown: int = 20) -> str:
    """'C-1 (no_consent, suppressed); C-2 (cooldown)' for the first `shown` ineligible contacts."""
    bad = [r for r in rows if not r.eligible]
    text = "; ".join(f"{r.contact_id} ({', '.join(r.reasons)})" for r in bad[:shown])
    return text + (f"; and {len(bad) - shown} more" if len(bad) > shown else "")
