"""Blocking store calls run on worker threads, so a server's event loop keeps serving other requests meanwhile.

Every sandbox tool reaches the database through `SandboxCapability._read/_write/undo`, which await `Offload.run`:
this is the one place SQL leaves the event loop. At most `tokens` calls of one store run at once per event loop (a
limiter per loop, since a limiter belongs to the loop it was made on); an in-memory SQLite store, one connection
shared by every caller, gets one token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread

T = TypeVar("T")

DEFAULT_TOKENS = 8
"""Below SQLAlchemy's default pool (5 + 10 overflow connections), so a worker never waits for a connection."""


class Offload:
    """Runs blocking functions on worker threads, at most `tokens` at a time per event loop."""

    def __init__(self, tokens: int = DEFAULT_TOKENS) -> None:
        self.tokens = tokens
        self._limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = WeakKeyDictionary()

    def _limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.tokens)
        return limiter

    async def run(self, fn: Callable[[], T]) -> T:
        """`fn()` on a worker thread; cancelling the caller waits for the thread to finish (no half-done call)."""
        return await anyio.to_thread.run_sync(fn, limiter=self._limiter())
