"""Races between two server processes on one database: every acknowledged write survives, every invariant holds.

Each test runs `TRIALS` trials; in each, conflicting calls go to both replicas at once. A trial fails when the
outcome is one no serial order of the same calls could give. Zero failures are allowed, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import anyio
import pytest
from helpers.replicas import ACCOUNT_CAP_MINOR, Cluster, McpHttp, Reply
from sqlalchemy import delete, func, select, update

from cadencia.tools.ads.tables import campaigns
from cadencia.tools.crm.tables import deliveries, messages, segments, sends
from cadencia.tools.inventory.tables import products, promotions, stock
from cadencia.tools.store.journal import calls

pytestmark = [pytest.mark.slow, pytest.mark.concurrency]

TRIALS = 40
TRIAL_TIMEOUT_S = 60


Call = tuple[McpHttp, str, dict[str, Any]]
"""A tool call sent to one replica: (client, tool, arguments)."""


async def at_once(*calls: Call) -> list[Reply]:
    """Start every call together and wait for all of them; replies in the order given."""
    replies: list[Reply | None] = [None] * len(calls)
    go = anyio.Event()

    async def run(index: int, call: Call) -> None:
        client, tool, arguments = call
        await go.wait()
        replies[index] = await client.call(tool, arguments)

    with anyio.fail_after(TRIAL_TIMEOUT_S):
        async with anyio.create_task_group() as group:
            for index, call in enumerate(calls):
                group.start_soon(run, index, call)
            go.set()
    return [r for r in replies if r is not None]


@pytest.fixture
async def replicas(cluster: Cluster) -> AsyncIterator[tuple[McpHttp, McpHttp]]:
    first, second = cluster.clients()
    yield first, second
    await first.aclose()
    await second.aclose()


def on_hand(cluster: Cluster, sku: str, warehouse_id: str) -> int:
    with cluster.store.reading() as conn:
        return int(
            conn.execute(
                select(stock.c.on_hand).where(stock.c.sku == sku, stock.c.warehouse_id == warehouse_id)
            ).scalar_one()
        )


def unexpected(replies: list[Reply], *allowed: str) -> list[str]:
    """Refusals other than the clean ones a serial order could give (e.g. `[conflict]`), such as `[internal]`."""
    return [r.text[:160] for r in replies if not r.ok and not any(r.text.startswith(a) for a in allowed)]


async def test_adjust_stock_with_the_same_expected_on_hand_lets_exactly_one_replica_through(
    cluster: Cluster, replicas: tuple[McpHttp, McpHttp]
) -> None:
    first, second = replicas
    failures: list[str] = []
    for trial in range(TRIALS):
        sku, warehouse = f"ML-{trial % 20:06d}", "WH-MAD"
        before = on_hand(cluster, sku, warehouse)
        deltas = (3, -2)
        args = {"sku": sku, "warehouse_id": warehouse, "expected_on_hand": before, "reason": "recount"}
        replies = await at_once(
            (first, "inventory_adjust_stock", args | {"delta": deltas[0]}),
            (second, "inventory_adjust_stock", args | {"delta": deltas[1]}),
        )
        acknowledged = [d for d, r in zip(deltas, replies, strict=True) if r.ok]
        after = on_hand(cluster, sku, warehouse)
        bad = unexpected(replies, "[conflict]")
        if len(acknowledged) != 1 or after != before + sum(acknowledged) or after < 0 or bad:
            failures.append(f"trial {trial}: {before} + acknowledged {acknowledged} -> {after}; {bad}")
    assert not failures, f"{len(failures)} of {TRIALS} trials lost or doubled a write: {failures[:3]}"


def _reset_budgets(cluster: Cluster, seeded: dict[str, int]) -> None:
    with cluster.store.writing() as conn:
        for campaign_id, budget in seeded.items():
            conn.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(daily_budget_minor=budget))


def _raise(campaign_id: str, current: int, by: int) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "daily_budget_minor": current + by,
        "currency": "EUR",
        "expected_current_minor": current,
    }


def _active_total(cluster: Cluster) -> int:
    with cluster.store.reading() as conn:
        total = conn.execute(
            select(func.sum(campaigns.c.daily_budget_minor)).where(campaigns.c.status == "active")
        ).scalar_one()
    return int(total)


async def test_two_budget_raises_that_each_fit_the_account_cap_never_both_pass(
    cluster: Cluster, replicas: tuple[McpHttp, McpHttp]
) -> None:
    first, second = replicas
    with cluster.store.reading() as conn:
        seeded = dict(conn.execute(select(campaigns.c.id, campaigns.c.daily_budget_minor)).all())
    raise_by = 7_000
    assert _active_total(cluster) + raise_by <= ACCOUNT_CAP_MINOR < _active_total(cluster) + 2 * raise_by
    failures: list[str] = []
    for trial in range(TRIALS):
        _reset_budgets(cluster, seeded)
        pair = ("CMP-ME000", "CMP-GO000") if trial % 2 == 0 else ("CMP-GO000", "CMP-ME000")

        replies = await at_once(
            (first, "ads_set_budget", _raise(pair[0], seeded[pair[0]], raise_by)),
            (second, "ads_set_budget", _raise(pair[1], seeded[pair[1]], raise_by)),
        )
        total = _active_total(cluster)
        bad = unexpected(replies, "[policy_violation]")
        if sum(r.ok for r in replies) != 1 or total > ACCOUNT_CAP_MINOR or bad:
            failures.append(f"trial {trial}: {[r.ok for r in replies]} active total {total}; {bad}")
    _reset_budgets(cluster, seeded)
    assert not failures, f"{len(failures)} of {TRIALS} trials broke the account cap: {failures[:3]}"


def _unpromoted_skus(cluster: Cluster, count: int) -> list[tuple[str, int]]:
    with cluster.store.reading() as conn:
        promoted = select(promotions.c.sku).where(promotions.c.status.in_(("scheduled", "active")))
        rows = conn.execute(
            select(products.c.sku, products.c.price_minor)
            .where(products.c.sku.not_in(promoted), products.c.currency == "EUR")
            .order_by(products.c.sku)
            .limit(count)
        ).all()
    return [(sku, int(price)) for sku, price in rows]


def _price(cluster: Cluster, sku: str) -> int:
    with cluster.store.reading() as conn:
        return int(conn.execute(select(products.c.price_minor).where(products.c.sku == sku)).scalar_one())


async def test_a_stale_undo_never_overwrites_another_clients_acknowledged_price(
    cluster: Cluster, replicas: tuple[McpHttp, McpHttp]
) -> None:
    first, second = replicas
    skus = _unpromoted_skus(cluster, 10)
    failures: list[str] = []
    for trial in range(TRIALS):
        sku, list_price = skus[trial % len(skus)]
        with cluster.store.writing() as conn:
            conn.execute(update(products).where(products.c.sku == sku).values(price_minor=list_price))
        mine = list_price * 95 // 100
        theirs = list_price * 97 // 100
        changed = await first.call("inventory_set_price", {"sku": sku, "price_minor": mine, "currency": "EUR"})
        assert changed.ok, changed.text
        replies = await at_once(
            (first, "inventory_undo", {"token": changed.data["undo_token"]}),
            (second, "inventory_set_price", {"sku": sku, "price_minor": theirs, "currency": "EUR"}),
        )
        undone, priced = replies
        final = _price(cluster, sku)
        bad = unexpected(replies, "[conflict]")
        if not priced.ok or final != theirs or bad:
            failures.append(f"trial {trial}: undo {undone.ok}, set_price {priced.ok}, final {final} != {theirs}; {bad}")
        with cluster.store.writing() as conn:
            conn.execute(update(products).where(products.c.sku == sku).values(price_minor=list_price))
    assert not failures, f"{len(failures)} of {TRIALS} trials lost an acknowledged price: {failures[:3]}"


async def test_one_undo_token_sent_to_both_replicas_at_once_is_used_once(
    cluster: Cluster, replicas: tuple[McpHttp, McpHttp]
) -> None:
    first, second = replicas
    skus = _unpromoted_skus(cluster, 10)
    failures: list[str] = []
    for trial in range(TRIALS):
        sku, list_price = skus[trial % len(skus)]
        changed = await first.call(
            "inventory_set_price", {"sku": sku, "price_minor": list_price * 96 // 100, "currency": "EUR"}
        )
        assert changed.ok, changed.text
        undo = {"token": changed.data["undo_token"]}
        replies = await at_once((first, "inventory_undo", undo), (second, "inventory_undo", undo))
        final = _price(cluster, sku)
        refused = [r.text for r in replies if not r.ok]
        if sum(r.ok for r in replies) != 1 or final != list_price or not all("already used" in t for t in refused):
            failures.append(f"trial {trial}: {[r.ok for r in replies]}, final {final} != {list_price}; {refused}")
    assert not failures, f"{len(failures)} of {TRIALS} trials used one undo token twice: {failures[:3]}"


def _send_counts(cluster: Cluster, message_id: str, segment_id: str) -> tuple[int, int]:
    with cluster.store.reading() as conn:
        sent = conn.execute(select(messages.c.send_count).where(messages.c.id == message_id)).scalar_one()
        used = conn.execute(select(segments.c.send_count).where(segments.c.id == segment_id)).scalar_one()
    return int(sent), int(used)


EMAIL = {
    "channel": "email",
    "subject": "Spring",
    "body": "Hello {{first_name}}",
    "claim_ids": [],
    "ai_generated": False,
}


async def test_concurrent_sends_count_every_acknowledged_send_on_message_and_segment(
    cluster: Cluster, replicas: tuple[McpHttp, McpHttp]
) -> None:
    first, second = replicas
    drafted = await first.call("crm_draft_message", EMAIL)
    assert drafted.ok, drafted.text
    message_id, segment_id = drafted.data["message"]["id"], "SEG-VIP"
    start_message, start_segment = _send_counts(cluster, message_id, segment_id)
    today = cluster.store.today()
    acknowledged, failures = 0, []
    for trial in range(TRIALS):
        day = (today + timedelta(days=1 + trial % 30)).isoformat()
        args = {"message_id": message_id, "segment_id": segment_id, "scheduled_for": day}
        replies = await at_once((first, "crm_schedule_send", args), (second, "crm_schedule_send", args))
        acknowledged += sum(r.ok for r in replies)
        counted = _send_counts(cluster, message_id, segment_id)
        bad = unexpected(replies)
        expected = (start_message + acknowledged, start_segment + acknowledged)
        if counted != expected or bad:
            failures.append(f"trial {trial}: counters {counted}, acknowledged {expected}; {bad}")
    assert not failures, f"{len(failures)} of {TRIALS} trials lost a send count: {failures[:3]}"


def _window_deliveries(cluster: Cluster, day: date) -> dict[str, int]:
    since = (day - timedelta(days=6)).isoformat()
    with cluster.store.reading() as conn:
        rows = conn.execute(
            select(deliveries.c.contact_id, func.count())
            .where(
                deliveries.c.channel == "email", deliveries.c.sent_on >= since, deliveries.c.sent_on <= day.isoformat()
            )
            .group_by(deliveries.c.contact_id)
        ).all()
    return {contact: int(n) for contact, n in rows}


async def test_two_sends_at_once_never_push_a_contact_past_the_frequency_cap(
    cluster: Cluster, replicas: tuple[McpHttp, McpHttp]
) -> None:
    first, second = replicas
    drafted = await first.call("crm_draft_message", EMAIL | {"subject": "Capped"})
    assert drafted.ok, drafted.text
    args = {"message_id": drafted.data["message"]["id"], "segment_id": "SEG-VIP"}
    today = cluster.store.today()
    failures: list[str] = []
    for trial in range(TRIALS):
        before = _window_deliveries(cluster, today)
        replies = await at_once((first, "crm_send_now", args), (second, "crm_send_now", args))
        after = _window_deliveries(cluster, today)
        over = sorted(c for c, n in after.items() if n > max(1, before.get(c, 0)))
        bad = unexpected(replies, "[policy_violation]")
        if sum(r.ok for r in replies) != 1 or over or bad:
            failures.append(f"trial {trial}: {[r.ok for r in replies]}, over the cap: {over[:3]}; {bad}")
        created = [r.data["send"]["id"] for r in replies if r.ok]
        with cluster.store.writing() as conn:
            conn.execute(delete(deliveries).where(deliveries.c.send_id.in_(created)))
            conn.execute(update(sends).where(sends.c.id.in_(created)).values(status="cancelled"))
    assert not failures, f"{len(failures)} of {TRIALS} trials broke the frequency cap: {failures[:3]}"


async def test_the_same_idempotency_key_on_both_replicas_runs_once_and_both_get_its_result(
    cluster: Cluster, replicas: tuple[McpHttp, McpHttp]
) -> None:
    first, second = replicas
    failures: list[str] = []
    for trial in range(TRIALS):
        sku, warehouse = f"ML-{trial % 20:06d}", "WH-BOG"
        before = on_hand(cluster, sku, warehouse)
        key = f"race-{cluster.backend}-{trial}"
        args = {
            "sku": sku,
            "warehouse_id": warehouse,
            "delta": 1,
            "expected_on_hand": before,
            "reason": "recount",
            "idempotency_key": key,
        }
        replies = await at_once((first, "inventory_adjust_stock", args), (second, "inventory_adjust_stock", args))
        with cluster.store.reading() as conn:
            recorded = conn.execute(select(func.count()).select_from(calls).where(calls.c.idempotency_key == key))
            executions = int(recorded.scalar_one())
        after = on_hand(cluster, sku, warehouse)
        same = replies[0].data == replies[1].data
        if not all(r.ok for r in replies) or not same or after != before + 1 or executions != 1:
            texts = [r.text[:120] for r in replies if not r.ok]
            failures.append(f"trial {trial}: ok {[r.ok for r in replies]}, same {same}, {before}->{after}; {texts}")
    assert not failures, f"{len(failures)} of {TRIALS} trials did not replay the stored result: {failures[:3]}"
