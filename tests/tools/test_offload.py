"""SQL runs off the event loop: while one call waits inside the database, the same server's loop serves others."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import Connection

from cadencia.tools.inventory.sandbox import SandboxInventory
from cadencia.tools.store.offload import DEFAULT_TOKENS
from cadencia.tools.store.store import Store


async def test_a_call_held_inside_the_database_does_not_stop_other_calls(store: Store) -> None:
    inventory = SandboxInventory(store)
    inside, release = threading.Event(), threading.Event()

    def held(conn: Connection) -> str:
        inside.set()
        release.wait(10)
        return "held call done"

    blocked = asyncio.create_task(inventory._read(held))
    assert await asyncio.to_thread(inside.wait, 10)
    product, stock = await asyncio.wait_for(
        asyncio.gather(inventory.get_product(sku="ML-000000"), inventory.get_stock(sku="ML-000000")), 10
    )
    assert not blocked.done()
    release.set()
    assert await blocked == "held call done"
    assert product.sku == "ML-000000" and {s.warehouse_id for s in stock.items} == {"WH-BOG", "WH-MAD"}


async def test_calls_overlap_up_to_the_token_count_and_no_further(store: Store) -> None:
    inventory = SandboxInventory(store)
    running, peak, lock, go = 0, 0, threading.Lock(), threading.Event()

    def counted(conn: Connection) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        go.wait(10)
        with lock:
            running -= 1

    calls = [asyncio.create_task(inventory._read(counted)) for _ in range(DEFAULT_TOKENS + 4)]
    while True:
        await asyncio.sleep(0.01)
        with lock:
            if running == DEFAULT_TOKENS:
                break
    await asyncio.sleep(0.05)
    assert peak == DEFAULT_TOKENS
    go.set()
    await asyncio.gather(*calls)


def test_an_in_memory_store_runs_one_call_at_a_time() -> None:
    store = Store.open("sqlite://")
    assert store.offload.tokens == 1
    store.close()
