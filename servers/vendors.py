"""Backends from `backends.yaml`: each capability on the sandbox or a vendor, sharing one HTTP client and the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import open_store, sandbox_backends
from cadencia.tools.limits import Limits, load_limits
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.config import BackendsConfig, Secrets, load_backends
from cadencia.tools.vendors.factory import Builder


def load_vendor_config(backends_path: Path, *, shadow: bool) -> tuple[BackendsConfig, Secrets]:
    """Validate the file and find every credential it names now, before anything starts (errors name the field).

    `shadow` forces shadow mode on; a file saying `shadow: true` stays in shadow whatever the flag."""
    config = load_backends(backends_path)
    if shadow:
        config = config.model_copy(update={"shadow": True})
    secrets = Secrets(config.secrets_file)
    secrets.check(config)
    return config, secrets


@asynccontextmanager
async def vendor_backends(
    store: Store, limits: Limits, config: BackendsConfig, secrets: Secrets
) -> AsyncIterator[Backends]:
    """The four capabilities: vendors where the file names one, the sandbox store elsewhere."""
    async with httpx.AsyncClient() as client:
        built = Builder(config, client=client, store=store, limits=limits, secrets=secrets).build()
        base = sandbox_backends(store, limits)
        yield Backends(
            inventory=built.inventory or base.inventory,
            ads=built.ads or base.ads,
            reviews=built.reviews or base.reviews,
            crm=built.crm or base.crm,
        )


def vendor_served(backends_path: Path) -> frozenset[str]:
    """The capabilities a backends file gives to a vendor rather than the sandbox."""
    config = load_backends(backends_path)
    return frozenset(c for c in ("inventory", "ads", "crm", "reviews") if getattr(config, c).backend != "sandbox")


def vendor_lifespan(
    db: str | Path, limits_path: Path | None, backends_path: Path, *, shadow: bool
) -> Callable[[], AbstractAsyncContextManager[Backends]]:
    """Like `sandbox_lifespan`, with the capabilities the file names served by vendors.

    The file and its credentials are checked here, before the server starts: a missing variable is a clean error."""
    config, secrets = load_vendor_config(backends_path, shadow=shadow)
    limits = load_limits(limits_path)

    @asynccontextmanager
    async def open_backends() -> AsyncIterator[Backends]:
        store = open_store(db)
        try:
            async with vendor_backends(store, limits, config, secrets) as backends:
                yield backends
        finally:
            store.close()

    return open_backends
