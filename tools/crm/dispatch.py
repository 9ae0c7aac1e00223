"""Delivering sends: shared by `send_now` and by the world simulator's daily dispatch of scheduled sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, update

from cadencia.tools.crm.eligibility import audience_problem, channel_reach, deliver_to_eligible, lock_deliveries
from cadencia.tools.crm.models import Channel, ChannelReach, SendStatus
from cadencia.tools.crm.segments import rules_clause, segment_rules
from cadencia.tools.crm.tables import deliveries, sends
from cadencia.tools.limits import Limits, MessagingLimits


@dataclass(frozen=True)
class Outcome:
    """What delivering one send did: the `sends` columns to write, and the audience breakdown before it."""

    reach: ChannelReach
    values: dict[str, Any]


def reach_for(conn: Connection, segment_id: str, channel: Channel, day: date, limits: MessagingLimits) -> ChannelReach:
    """Eligible and excluded members of a saved segment on one channel, as of `day`."""
    return channel_reach(conn, rules_clause(segment_rules(conn, segment_id), day), channel, day, limits)


def deliver(
    conn: Connection, *, send_id: str, segment_id: str, channel: Channel, day: date, limits: MessagingLimits
) -> Outcome:
    """Re-check eligibility now and deliver to eligible members only; a refused audience delivers nothing.

    The caller decides what a refusal means (`send_now` raises; scheduled dispatch marks the send failed).
    """
    where = rules_clause(segment_rules(conn, segment_id), day)
    lock_deliveries(conn)
    reach = channel_reach(conn, where, channel, day, limits)
    reasons = reach.excluded.model_dump_json()
    problem = audience_problem(reach, limits)
    if problem is not None:
        values = {
            "status": SendStatus.FAILED.value,
            "recipients": 0,
            "skipped": reach.eligible + reach.excluded.total,
            "skip_reasons": reasons,
            "failure_reason": problem,
        }
        return Outcome(reach=reach, values=values)
    recipients = deliver_to_eligible(conn, send_id=send_id, where=where, channel=channel, day=day, limits=limits)
    values = {
        "status": SendStatus.SENT.value,
        "sent_on": day.isoformat(),
        "recipients": recipients,
        "skipped": reach.eligible + reach.excluded.total - recipients,
        "skip_reasons": reasons,
        "failure_reason": None,
    }
    return Outcome(reach=reach, values=values)


def dispatch_due_sends(conn: Connection, day: date, *, limits: Limits | None = None) -> list[tuple[str, str]]:
    """Deliver every scheduled send due on or before `day`, inside the caller's transaction.

    Eligibility (consent, suppression, frequency cap) is re-checked now: consent may have been withdrawn since
    scheduling. Each send becomes `sent` (with recipients and skip counts) or `failed` (empty audience, or above
    the per-send maximum; nothing delivered). Returns the (contact_id, channel) pairs delivered, in send order.
    """
    messaging = (limits or Limits()).messaging
    due = conn.execute(
        select(sends.c.id, sends.c.segment_id, sends.c.channel)
        .where(sends.c.status == SendStatus.SCHEDULED.value, sends.c.scheduled_for <= day.isoformat())
        .order_by(sends.c.scheduled_for, sends.c.id)
    ).all()
    delivered: list[tuple[str, str]] = []
    for send_id, segment_id, channel in due:
        outcome = deliver(
            conn, send_id=send_id, segment_id=segment_id, channel=Channel(channel), day=day, limits=messaging
        )
        conn.execute(update(sends).where(sends.c.id == send_id).values(**outcome.values))
        if outcome.values["status"] == SendStatus.SENT.value:
            rows = conn.execute(
                select(deliveries.c.contact_id, deliveries.c.channel)
                .where(deliveries.c.send_id == send_id)
                .order_by(deliveries.c.contact_id)
            ).all()
            delivered.extend((contact_id, ch) for contact_id, ch in rows)
    return delivered
