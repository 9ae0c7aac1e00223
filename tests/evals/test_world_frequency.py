"""Frequency caps hold at dispatch under the world's own limits, and breaches are read back from the send log."""

from __future__ import annotations

from datetime import date, timedelta

from helpers.scorers import scenario as hand_built_scenario
from sqlalchemy import insert

from cadencia.evals.episode import _Timeline
from cadencia.evals.evidence import world_violations
from cadencia.evals.scenarios import WorldSpec
from cadencia.evals.scorers.measures import FREQUENCY_KIND
from cadencia.evals.world import clone_store
from cadencia.tools.crm.tables import deliveries, sends
from cadencia.tools.limits import Limits, MessagingLimits
from cadencia.tools.store.store import Store

ONE_A_WEEK = Limits(messaging=MessagingLimits(frequency_cap=1, frequency_window_days=7))


def _schedule(store: Store, send_id: str, on: date) -> None:
    with store.writing() as conn:
        conn.execute(
            insert(sends).values(
                id=send_id,
                message_id="MSG-000000",
                segment_id="SEG-SKIN",
                channel="email",
                status="scheduled",
                scheduled_for=on.isoformat(),
                recipients=0,
                skipped=0,
            )
        )


def _frequency_breaches(start: Store, end: Store, since: date, limits: Limits) -> list[str]:
    found = world_violations(start, end, hand_built_scenario().goal, [], [], since, limits=limits.messaging)
    return [v.entity for v in found if v.kind == FREQUENCY_KIND]


def _two_sends_a_day_apart(store: Store, limits: Limits) -> date:
    sc = hand_built_scenario().model_copy(update={"world": WorldSpec(limits=limits)})
    timeline = _Timeline(store, sc, seed=9)
    first = store.today()
    _schedule(store, "SND-F1", first)
    _schedule(store, "SND-F2", first + timedelta(days=1))
    timeline.step()
    timeline.step()
    return first


def test_a_scheduled_send_is_held_to_the_worlds_frequency_cap_at_dispatch(store: Store, tmp_path) -> None:
    start = clone_store(store, tmp_path / "start.db")
    since = _two_sends_a_day_apart(store, ONE_A_WEEK)
    with store.reading() as conn:
        per_contact = conn.execute(
            deliveries.select().with_only_columns(deliveries.c.contact_id).where(deliveries.c.send_id == "SND-F2")
        ).all()
    assert per_contact == []  # everyone the first send reached is capped for the week
    assert _frequency_breaches(start, store, since, ONE_A_WEEK) == []


def test_the_send_log_shows_a_breach_when_dispatch_ignored_the_cap(store: Store, tmp_path) -> None:
    start = clone_store(store, tmp_path / "start.db")
    since = _two_sends_a_day_apart(store, Limits())  # the default cap allows two a week
    breaches = _frequency_breaches(start, store, since, ONE_A_WEEK)
    assert breaches, "two messages in two days must breach a one-a-week cap"
    assert len(breaches) == len(set(breaches))  # one violation per contact and channel
