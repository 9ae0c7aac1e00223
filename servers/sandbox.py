"""Backends over the embedded sandbox store: the default every server runs on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from cadencia.servers.context import Backends
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.crm.sandbox import SandboxCrm
from cadencia.tools.inventory.sandbox import SandboxInventory
from cadencia.tools.limits import Limits, load_limits
from cadencia.tools.reviews.sandbox import SandboxReviews
from cadencia.tools.seed import Scale, seed_store
from cadencia.tools.store.store import Store


def sandbox_backends(store: Store, limits: Limits | None = None) -> Backends:
    limits = limits or Limits()
    return Backends(
        inventory=SandboxInventory(store, limits),
        ads=SandboxAds(store, limits),
        reviews=SandboxReviews(store, limits),
        crm=SandboxCrm(store, limits),
    )


def open_store(db: str | Path, *, seed: int = 7, scale: Scale = Scale.SMALL) -> Store:
    """Open (and on first use, seed) the sandbox database."""
    if isinstance(db, Path) or "://" not in str(db):
        Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(db)
    if not store.is_seeded():
        seed_store(store, seed=seed, scale=scale)
    return store


def sandbox_lifespan(
    db: str | Path, limits_path: Path | None = None
) -> Callable[[], AbstractAsyncContextManager[Backends]]:
    """An async context factory for `build_server(open_backends=...)`: opens the store, closes it on shutdown."""

    @asynccontextmanager
    async def open_backends() -> AsyncIterator[Backends]:
        store = open_store(db)
        try:
            yield sandbox_backends(store, load_limits(limits_path))
        finally:
            store.close()

    return open_backends
