"""Who may receive a marketing message: the one definition used by estimates, send_now and scheduled dispatch.

A member is eligible on a channel when they are not suppressed, their consent for that channel is `granted`, and
fewer than `frequency_cap` messages (any kind) reached them on that channel in the last `frequency_window_days`
days including the day of sending. Everything is one SQL statement over the whole audience, so it stays fast at 1M
contacts; the first failing condition, in that order, is the member's skip reason. Other capabilities that message
contacts (review requests) ask `marketing_blocks` rather than restating these rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Subquery,
    and_,
    case,
    func,
    insert,
    literal,
    select,
)

from cadencia.tools.crm.models import (
    Channel,
    ChannelEligibility,
    ChannelReach,
    ConsentStatus,
    DeliveryKind,
    Exclusions,
    SkipReason,
)
from cadencia.tools.crm.tables import consents, contacts, deliveries
from cadencia.tools.limits import MessagingLimits

ELIGIBLE = "eligible"
DELIVERIES_LOCK = 0x43524D  # PostgreSQL advisory lock key ("CRM") serialising writers of `deliveries`.


def lock_deliveries(conn: Connection) -> None:
    """Serialise deliveries for the rest of the transaction, so two concurrent sends cannot both pass the cap.

    SQLite writers already hold the database lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction advisory lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(DELIVERIES_LOCK)))


def window_start(day: date, limits: MessagingLimits) -> date:
    """First day counted by the frequency cap on `day` (the window includes `day`)."""
    return day - timedelta(days=limits.frequency_window_days - 1)


def recent_deliveries(channel: Channel, day: date, limits: MessagingLimits) -> Subquery:
    """Deliveries per contact on `channel` within the cap window ending on `day`."""
    return (
        select(deliveries.c.contact_id, func.count().label("n"))
        .where(
            deliveries.c.channel == channel.value,
            deliveries.c.sent_on >= window_start(day, limits).isoformat(),
            deliveries.c.sent_on <= day.isoformat(),
        )
        .group_by(deliveries.c.contact_id)
        .subquery("recent")
    )


def classified(where: ColumnElement[bool], channel: Channel, day: date, limits: MessagingLimits) -> Subquery:
    """Every contact matching `where` with its recent delivery count, `reason` (`eligible` or the first SkipReason)
    and one boolean column per SkipReason (named by its value) telling whether that condition fails."""
    consent = consents.alias("consent")
    recent = recent_deliveries(channel, day, limits)
    status = func.coalesce(consent.c.status, ConsentStatus.NONE.value)
    sent = func.coalesce(recent.c.n, 0)
    failing = {
        SkipReason.SUPPRESSED: contacts.c.suppressed.is_(True),
        SkipReason.CONSENT_WITHDRAWN: status == ConsentStatus.WITHDRAWN.value,
        SkipReason.NO_CONSENT: status.not_in([ConsentStatus.GRANTED.value, ConsentStatus.WITHDRAWN.value]),
        SkipReason.FREQUENCY_CAPPED: sent >= limits.frequency_cap,
    }
    reason = case(*((condition, skip.value) for skip, condition in failing.items()), else_=ELIGIBLE)
    joined = contacts.outerjoin(
        consent, and_(consent.c.contact_id == contacts.c.id, consent.c.channel == channel.value)
    ).outerjoin(recent, recent.c.contact_id == contacts.c.id)
    return (
        select(
            contacts.c.id.label("contact_id"),
            sent.label("recent"),
            reason.label("reason"),
            *(condition.label(skip.value) for skip, condition in failing.items()),
        )
        .select_from(joined)
        .where(where)
        .subquery("audience")
    )


def marketing_blocks(
    conn: Connection, contact_ids: Sequence[str], channel: Channel, day: date, limits: MessagingLimits
) -> dict[str, list[SkipReason]]:
    """Every marketing condition each contact fails on `channel` on `day`, in SkipReason order (empty = eligible).

    Contacts that do not exist are absent from the result.
    """
    audience = classified(contacts.c.id.in_(list(contact_ids)), channel, day, limits)
    columns = [audience.c[skip.value] for skip in SkipReason]
    return {
        row.contact_id: [skip for skip, fails in zip(SkipReason, row[1:], strict=True) if fails]
        for row in conn.execute(select(audience.c.contact_id, *columns))
    }


def channel_reach(
    conn: Connection, where: ColumnElement[bool], channel: Channel, day: date, limits: MessagingLimits
) -> ChannelReach:
    """How many members of `where` are eligible on `channel`, and how many are excluded for which reason."""
    audience = classified(where, channel, day, limits)
    rows = conn.execute(select(audience.c.reason, func.count()).group_by(audience.c.reason)).all()
    counts: dict[str, int] = {reason: int(n) for reason, n in rows}
    excluded = Exclusions(**{r.value: counts.get(r.value, 0) for r in SkipReason})
    return ChannelReach(channel=channel, eligible=counts.get(ELIGIBLE, 0), excluded=excluded)


def contact_eligibility(
    conn: Connection, contact_id: str, day: date, limits: MessagingLimits
) -> list[ChannelEligibility]:
    """Whether one contact would receive marketing on each channel on `day`, and why not."""
    out = []
    for channel in Channel:
        audience = classified(contacts.c.id == contact_id, channel, day, limits)
        recent, reason = conn.execute(select(audience.c.recent, audience.c.reason)).one()
        out.append(
            ChannelEligibility(
                channel=channel,
                deliveries_in_window=int(recent),
                frequency_cap=limits.frequency_cap,
                eligible=reason == ELIGIBLE,
                reason=None if reason == ELIGIBLE else SkipReason(reason),
            )
        )
    return out


def audience_problem(reach: ChannelReach, limits: MessagingLimits) -> str | None:
    """Why this audience may not be messaged at all (empty, or above the per-send maximum), else None."""
    ex = reach.excluded
    if reach.eligible == 0:
        return (
            f"no eligible recipients on {reach.channel.value}: {ex.suppressed} suppressed, "
            f"{ex.consent_withdrawn} withdrew consent, {ex.no_consent} never consented, "
            f"{ex.frequency_capped} at the frequency cap"
        )
    if reach.eligible > limits.max_recipients_per_send:
        return (
            f"{reach.eligible} eligible recipients exceed the maximum {limits.max_recipients_per_send} per send; "
            "narrow the segment"
        )
    return None


def deliver_to_eligible(
    conn: Connection,
    *,
    send_id: str,
    where: ColumnElement[bool],
    channel: Channel,
    day: date,
    limits: MessagingLimits,
) -> int:
    """Write one `marketing` delivery per eligible member (INSERT … SELECT); returns how many were written.

    Call `lock_deliveries` first in the same transaction, before counting the audience.
    """
    audience = classified(where, channel, day, limits)
    rows = select(
        literal(send_id, String),
        audience.c.contact_id,
        literal(channel.value, String),
        literal(day.isoformat(), String),
        literal(DeliveryKind.MARKETING.value, String),
    ).where(audience.c.reason == ELIGIBLE)
    columns = ["send_id", "contact_id", "channel", "sent_on", "kind"]
    conn.execute(insert(deliveries).from_select(columns, rows))
    # Counted, not rowcount: drivers differ on rowcount for INSERT … SELECT (psycopg reports -1).
    counted = select(func.count()).select_from(deliveries).where(deliveries.c.send_id == send_id)
    return int(conn.execute(counted).scalar() or 0)
