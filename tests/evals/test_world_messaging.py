"""Customers' response to delivered messages: clicks, orders, unsubscribes, fatigue, cost; dispatch is the CRM's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, func, insert, select

from cadencia.evals.world import Dispatcher, World, clone_store, ledger_totals
from cadencia.evals.world.tables import sim_ledger
from cadencia.tools.crm.tables import consents, contacts, sends
from cadencia.tools.store.store import Store

START = date(2026, 3, 2)


def _everyone(store: Store, channels: Sequence[str]) -> list[tuple[str, str]]:
    with store.reading() as conn:
        ids = conn.execute(select(contacts.c.id).order_by(contacts.c.id)).scalars().all()
    return [(cid, channel) for cid in ids for channel in channels]


def _stub(delivered: list[tuple[str, str]]) -> Dispatcher:
    """A dispatcher that 'delivers' a fixed list on the first day only (the response model under test)."""

    def dispatch(_conn: Connection, day: date) -> Sequence[tuple[str, str]]:
        return delivered if day == START else []

    return dispatch


def _ledger(store: Store) -> tuple[int, int, int, int]:
    c = sim_ledger.c
    with store.reading() as conn:
        return conn.execute(select(c.messages, c.message_clicks, c.message_orders, c.unsubscribes)).one()


def test_message_response_rates_match_email_benchmarks(store: Store) -> None:
    World(store, seed=9, dispatcher=_stub(_everyone(store, ["email"]))).step()
    delivered, clicks, orders, unsubscribes = _ledger(store)
    assert delivered == 2_000
    assert 0.019 <= clicks / delivered <= 0.047
    assert 0.009 <= orders / delivered <= 0.022
    with store.reading() as conn:
        withdrawn = conn.execute(
            select(func.count()).where(consents.c.source == "unsubscribe", consents.c.status == "withdrawn")
        ).scalar()
        buyers = conn.execute(select(func.count()).where(contacts.c.last_order_on == START.isoformat())).scalar()
    assert withdrawn == unsubscribes > 0
    assert buyers == orders
    assert ledger_totals(store).messaging_minor == round(0.1 * delivered)


def test_more_messages_in_a_week_get_fewer_clicks_each_and_more_unsubscribes(store: Store) -> None:
    flooded = clone_store(store, "sqlite://")
    World(store, seed=9, dispatcher=_stub(_everyone(store, ["email"]))).step()
    World(flooded, seed=9, dispatcher=_stub(_everyone(store, ["email", "sms", "whatsapp"]))).step()
    _, once_clicks, _, once_leavers = _ledger(store)
    _, flood_clicks, _, flood_leavers = _ledger(flooded)
    assert flood_clicks < 2.75 * once_clicks
    assert flood_leavers > 3 * once_leavers
    assert ledger_totals(flooded).messaging_minor == round(2_000 * (0.1 + 4.0 + 3.0))


def test_scheduled_send_is_dispatched_by_the_crm_and_recipients_respond(store: Store) -> None:
    with store.writing() as conn:
        conn.execute(
            insert(sends).values(
                id="SND-T1",
                message_id="MSG-000000",
                segment_id="SEG-SKIN",
                channel="email",
                status="scheduled",
                scheduled_for=START.isoformat(),
                recipients=0,
                skipped=0,
            )
        )
    report = World(store, seed=9).step()
    with store.reading() as conn:
        status, recipients = conn.execute(
            select(sends.c.status, sends.c.recipients).where(sends.c.id == "SND-T1")
        ).one()
    assert status == "sent"
    assert report.messages_delivered == recipients > 0
    assert _ledger(store)[0] == recipients
