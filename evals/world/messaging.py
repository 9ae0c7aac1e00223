"""Customers' response to the day's email/SMS/WhatsApp messages: clicks, orders, unsubscribes, fatigue.

Dispatching the due sends belongs to the CRM capability (`cadencia.tools.crm.dispatch.dispatch_due_sends`);
the simulator only calls it and models what the recipients do next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice

from sqlalchemy import Connection, bindparam, func, select, update

from cadencia.evals.world import params as p
from cadencia.evals.world.response import message_fatigue
from cadencia.tools.crm.tables import consents, contacts, deliveries
from cadencia.tools.seed import MarketSpec
from cadencia.tools.seed.rand import stream

Dispatcher = Callable[[Connection, date], Sequence[tuple[str, str]]]
"""Sends every scheduled send due by the day; returns the (contact_id, channel) pairs delivered.

The default is the CRM's `dispatch_due_sends` with default limits; bind others with `functools.partial`.
"""

CHUNK = 5_000


@dataclass(frozen=True)
class MessagingDay:
    delivered: int = 0
    clicks: int = 0
    orders: int = 0
    unsubscribes: int = 0
    cost_minor: float = 0.0
    orders_by_category: Mapping[str, int] = field(default_factory=dict)
    """Orders per recipient's favourite category ("" when unknown); they become demand for that category."""


def simulate_messaging(
    conn: Connection, seed: int, day: date, dispatcher: Dispatcher, market: MarketSpec
) -> MessagingDay:
    """Dispatch the due sends, then draw each recipient's click, order and unsubscribe."""
    delivered = sorted(set(dispatcher(conn, day)))
    if not delivered:
        return MessagingDay()
    iso = day.isoformat()
    ids = sorted({contact for contact, _ in delivered})
    earlier: dict[str, int] = {}
    favourite: dict[str, str] = {}
    week_ago = (day - timedelta(days=7)).isoformat()
    for chunk in _chunks(ids):
        earlier |= dict(
            conn.execute(
                select(deliveries.c.contact_id, func.count())
                .where(deliveries.c.contact_id.in_(chunk), deliveries.c.sent_on >= week_ago, deliveries.c.sent_on < iso)
                .group_by(deliveries.c.contact_id)
            ).all()
        )
        favourite |= {
            cid: cat or ""
            for cid, cat in conn.execute(
                select(contacts.c.id, contacts.c.favorite_category).where(contacts.c.id.in_(chunk))
            ).all()
        }
    nth_today: Counter[str] = Counter()
    clicks = 0
    buyers: list[str] = []
    leavers: list[tuple[str, str]] = []
    cost = 0.0
    for contact, channel in delivered:
        nth_today[contact] += 1
        in_week = earlier.get(contact, 0) + nth_today[contact]
        rng = stream(seed, "sim", iso, "crm", channel, contact)
        click, order, leave = rng.random(), rng.random(), rng.random()
        if click < p.MESSAGE_CLICK * message_fatigue(in_week):
            clicks += 1
            if order < p.MESSAGE_ORDER / p.MESSAGE_CLICK:
                buyers.append(contact)
        if leave < p.UNSUBSCRIBE * in_week:
            leavers.append((contact, channel))
        cost += p.MESSAGE_COST_MINOR.get(channel, 0.0)
    _record(conn, iso, buyers, leavers, market.aov_minor)
    return MessagingDay(
        delivered=len(delivered),
        clicks=clicks,
        orders=len(buyers),
        unsubscribes=len(leavers),
        cost_minor=cost,
        orders_by_category=dict(sorted(Counter(favourite.get(c, "") for c in buyers).items())),
    )


def _record(conn: Connection, iso: str, buyers: list[str], leavers: list[tuple[str, str]], aov: int) -> None:
    """Buyers get an order on their record; leavers' consent for that channel is withdrawn."""
    if buyers:
        conn.execute(
            update(contacts)
            .where(contacts.c.id == bindparam("b_id"))
            .values(
                orders_count=contacts.c.orders_count + 1,
                lifetime_value_minor=contacts.c.lifetime_value_minor + aov,
                last_order_on=iso,
            ),
            [{"b_id": cid} for cid in buyers],
        )
    if leavers:
        conn.execute(
            update(consents)
            .where(consents.c.contact_id == bindparam("b_id"), consents.c.channel == bindparam("b_channel"))
            .values(status="withdrawn", source="unsubscribe", updated_on=iso),
            [{"b_id": cid, "b_channel": channel} for cid, channel in leavers],
        )


def _chunks(items: list[str]) -> Iterator[list[str]]:
    it = iter(items)
    while chunk := list(islice(it, CHUNK)):
        yield chunk
