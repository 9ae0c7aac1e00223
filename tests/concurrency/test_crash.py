"""`kill -9` of a server process in the middle of writes: nothing acknowledged is lost, nothing is half-written,
and every retry with the same idempotency key replays the stored result instead of acting twice.

Writers keep adjusting stock through both replicas. The victim is killed with SIGKILL twice and restarted while the
survivor carries on: first with a request held inside it (it waits on a lock the test holds: on PostgreSQL
mid-transaction, after its idempotency claim; on SQLite waiting for the write lock), then under plain load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio
import httpx
import pytest
from helpers.replicas import Cluster, Reply
from sqlalchemy import func, select, text

from cadencia.tools.inventory.models import StockAdjustment
from cadencia.tools.inventory.tables import stock
from cadencia.tools.store.journal import calls, idempotency, undo_log

pytestmark = [pytest.mark.slow, pytest.mark.concurrency]

WRITERS = 4
CALLS_PER_WRITER = 30
"""Each writer makes at least this many calls, and keeps writing until the victim has been killed and restarted."""
MAX_CALLS_PER_WRITER = 2000
KILLS_AFTER_ACKS = (30, 70)
"""The victim is killed twice: once with a request held inside it, once under plain load."""
WAREHOUSE = "WH-MAD"
DELTAS = (4, 4, -3)
ATTEMPTS = 6
TEST_TIMEOUT_S = 180


@dataclass(frozen=True)
class Acknowledged:
    key: str
    args: dict[str, object]
    reply: Reply


def _sku(writer: int) -> str:
    return f"ML-{writer + 20:06d}"


def _on_hand(cluster: Cluster, sku: str) -> int:
    with cluster.store.reading() as conn:
        query = select(stock.c.on_hand).where(stock.c.sku == sku, stock.c.warehouse_id == WAREHOUSE)
        return int(conn.execute(query).scalar_one())


def _lock_waiters(cluster: Cluster) -> int:
    """Server transactions waiting for a lock the test holds (PostgreSQL only)."""
    with cluster.store.reading() as conn:
        return int(conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one())


async def until(condition: Callable[[], bool], *, timeout_s: float = 30) -> None:
    """Wait for an outside process to reach a state (polls; there is no event to wait on across processes)."""
    with anyio.fail_after(timeout_s):
        while not condition():
            await anyio.sleep(0.02)


async def test_a_server_killed_mid_writes_loses_no_acknowledged_write_and_retries_replay(cluster: Cluster) -> None:
    victim, _survivor = cluster.replicas
    clients = cluster.clients()
    initial = {w: _on_hand(cluster, _sku(w)) for w in range(WRITERS)}
    acknowledged: list[Acknowledged] = []
    victim_down = False
    in_flight_to_victim: set[str] = set()
    milestones = {after: anyio.Event() for after in KILLS_AFTER_ACKS}
    crashed = anyio.Event()

    async def send(writer: int, call: int, args: dict[str, object]) -> Reply:
        """One logical call: sent again (same key) to the survivor when the victim dies under it."""
        key = str(args["idempotency_key"])
        preferred = 0 if writer == 0 else (writer + call) % 2
        for attempt in range(ATTEMPTS):
            target = preferred if attempt == 0 and not victim_down else 1
            if target == 0:
                in_flight_to_victim.add(key)
            try:
                return await clients[target].call("inventory_adjust_stock", args)
            except httpx.TransportError:
                continue
            finally:
                in_flight_to_victim.discard(key)
        raise AssertionError(f"call {key} failed {ATTEMPTS} times")

    async def writer(w: int) -> None:
        expected = initial[w]
        call = -1
        while (call := call + 1) < CALLS_PER_WRITER or not crashed.is_set():
            assert call < MAX_CALLS_PER_WRITER, "the crash scenario never finished"
            args = {
                "sku": _sku(w),
                "warehouse_id": WAREHOUSE,
                "delta": DELTAS[call % len(DELTAS)],
                "expected_on_hand": expected,
                "reason": "recount",
                "idempotency_key": f"crash-{w}-{call:03d}",
            }
            reply = await send(w, call, args)
            assert reply.ok, reply.text
            expected = reply.data["on_hand"]
            acknowledged.append(Acknowledged(str(args["idempotency_key"]), args, reply))
            for after, reached in milestones.items():
                if len(acknowledged) >= after:
                    reached.set()

    def kill_victim() -> None:
        nonlocal victim_down
        victim_down = True
        victim.kill()

    async def restart_victim() -> None:
        nonlocal victim_down
        await anyio.to_thread.run_sync(victim.start)
        victim_down = False

    async def crash() -> None:
        held, loaded = KILLS_AFTER_ACKS
        await milestones[held].wait()
        with cluster.store.writing() as conn:
            # Hold writer 0's row: its next request stays inside the victim until the victim is dead.
            conn.execute(
                select(stock).where(stock.c.sku == _sku(0), stock.c.warehouse_id == WAREHOUSE).with_for_update()
            )
            await until(lambda: any(k.startswith("crash-0-") for k in in_flight_to_victim))
            if cluster.backend == "postgres":
                await until(lambda: _lock_waiters(cluster) > 0)
            else:
                await anyio.sleep(0.3)  # let the request reach the server and wait for the write lock
            kill_victim()
        await restart_victim()
        await milestones[loaded].wait()
        await until(lambda: len(in_flight_to_victim) > 0)
        kill_victim()  # this time nothing is held: whatever the victim was doing is cut short
        await restart_victim()
        crashed.set()

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with anyio.create_task_group() as group:
            group.start_soon(crash)
            for w in range(WRITERS):
                group.start_soon(writer, w)

    assert victim.process is not None and victim.process.poll() is None, "the victim was restarted"
    assert len(acknowledged) >= WRITERS * CALLS_PER_WRITER
    for w in range(WRITERS):
        applied = sum(a.args["delta"] for a in acknowledged if a.args["sku"] == _sku(w))  # type: ignore[misc]
        assert _on_hand(cluster, _sku(w)) == initial[w] + applied, f"writer {w} lost or doubled a write"

    with cluster.store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(stock).where(stock.c.on_hand < 0)).scalar_one() == 0
        recorded = conn.execute(
            select(calls.c.idempotency_key, calls.c.result, calls.c.undo_token).where(
                calls.c.idempotency_key.like("crash-%")
            )
        ).all()
        stored = dict(
            conn.execute(select(idempotency.c.key, idempotency.c.result).where(idempotency.c.key.like("crash-%"))).all()
        )
        tokens = set(conn.execute(select(undo_log.c.token)).scalars())
        unfinished = conn.execute(select(func.count()).select_from(idempotency).where(idempotency.c.result == ""))
        assert unfinished.scalar_one() == 0, "an idempotency key was left claimed without its result"
        issued = set(conn.execute(select(calls.c.undo_token).where(calls.c.undo_token.is_not(None))).scalars())
        assert issued <= tokens, "a recorded call names an undo token the journal does not hold"
        if cluster.backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    keys = [key for key, _, _ in recorded]
    assert sorted(keys) == sorted(a.key for a in acknowledged), "every acknowledged call recorded exactly once"
    assert set(stored) == set(keys)
    for key, result, token in recorded:
        assert stored[key] == result, f"{key}: idempotency result differs from the call record"
        assert StockAdjustment.model_validate_json(result).undo_token == token and token in tokens

    replays = [await clients[0].call("inventory_adjust_stock", a.args) for a in acknowledged]
    assert [r.data for r in replays] == [a.reply.data for a in acknowledged], "a retry acted instead of replaying"
    for w in range(WRITERS):
        applied = sum(a.args["delta"] for a in acknowledged if a.args["sku"] == _sku(w))  # type: ignore[misc]
        assert _on_hand(cluster, _sku(w)) == initial[w] + applied
    for client in clients:
        await client.aclose()
