"""Backends from `backends.yaml`: each capability on the sandbox or a vendor, sharing one HTTP client and the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import open_store, sandbox_backends
from cadencia.tools.limits import load_limits
from cadencia.tools.vendors.config import load_backends
from cadencia.tools.vendors.factory import Builder


def vendor_lifespan(
    db: str | Path, limits_path: Path | None, backends_path: Path, *, shadow: bool
) -> Callable[[], AbstractAsyncContextManager[Backends]]:
    """Like `sandbox_lifespan`, with the capabilities the file names served by vendors (`shadow` forces shadow mode).

    The file and its credentials are checked before the server starts (a missing variable is an error here)."""
    config = load_backends(backends_path)
    if shadow:
        config = config.model_copy(update={"shadow": True})

    @asynccontextmanager
    async def open_backends() -> AsyncIterator[Backends]:
        store = open_store(db)
        limits = load_limits(limits_path)
        try:
            async with httpx.AsyncClient() as client:
                built = Builder(config, client=client, store=store, limits=limits).build()
                base = sandbox_backends(store, limits)
                yield Backends(
                    inventory=built.inventory or base.inventory,
                    ads=built.ads or base.ads,
                    reviews=built.reviews or base.reviews,
                    crm=built.crm or base.crm,
                )
        finally:
            store.close()

    return open_backends
