"""One seeded world, many backends: the sandbox and each vendor adapter over a fake seeded from the same sandbox
data, so one contract suite can assert the same behaviour everywhere (ids mapped, state compared per backend)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import respx

from cadencia.tools.ads.backend import AdsBackend
from cadencia.tools.ads.models import Platform
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.ads.vendors.combined import CombinedAds
from cadencia.tools.ads.vendors.common import VendorAds
from cadencia.tools.limits import Limits
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.config import BackendsConfig, Secrets
from cadencia.tools.vendors.factory import Builder, VendorBackends
from vendor_fakes import build as b
from vendor_fakes.google_ads import FakeGoogleAds, google_id
from vendor_fakes.meta import FakeMeta, meta_id

ADS_WORLDS = ("sandbox", "meta", "google_ads", "combined")


async def nothing() -> None:
    return None


@dataclass
class World:
    """A backend factory over the seeded world, and how to talk about that world on this backend."""

    kind: str
    make: Callable[[Limits], Any]
    state: Callable[[], object]
    id: Callable[[str], str] = lambda x: x
    sync: Callable[[], Awaitable[None]] = nothing
    unsupported: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Tools this backend must refuse with NotSupported, with arguments to call them with."""
    missing_id: str = "NOPE-0"
    platform: Platform = Platform.META

    @property
    def vendor(self) -> bool:
        return self.kind != "sandbox"


def build_with(
    store: Store, client: httpx.AsyncClient, config: BackendsConfig, limits: Limits, *, shadow: bool = False
) -> VendorBackends:
    return Builder(
        config,
        client=client,
        store=store,
        limits=limits,
        shadow=shadow,
        secrets=Secrets(None, b.ENV),
        sleep=b.no_sleep,
        today=lambda: b.TODAY,
    ).build()


ADS_UNSUPPORTED: dict[str, dict[str, Any]] = {
    "list_creatives": {"campaign_id": None, "cursor": None, "limit": 20},
    "create_creative": {
        "campaign_id": "1",
        "headline": "H",
        "body": "B",
        "ai_generated": False,
        "claim_ids": [],
        "idempotency_key": None,
    },
    "list_experiments": {"cursor": None, "limit": 20},
    "start_experiment": {
        "name": "X",
        "campaign_a": "1",
        "campaign_b": "2",
        "metric": "ctr",
        "days": 7,
        "idempotency_key": None,
    },
    "get_experiment": {"experiment_id": "EXP-1"},
}


def ads_world(kind: str, store: Store, client: httpx.AsyncClient, router: respx.MockRouter) -> World:
    """The ads capability on `kind`, seeded from the sandbox store's campaigns and daily performance."""
    if kind == "sandbox":
        return World(kind, lambda limits: SandboxAds(store, limits), state=store.state_hash)
    meta, google = FakeMeta.from_store(store), FakeGoogleAds.from_store(store)
    if kind in ("meta", "combined"):
        b.route_meta(router, meta)
    if kind in ("google_ads", "combined"):
        b.route_google(router, google)
    config = {"meta": b.META, "google_ads": b.GOOGLE_ADS, "combined": b.COMBINED}[kind]

    def make(limits: Limits) -> AdsBackend:
        built = build_with(store, client, BackendsConfig.model_validate({"ads": config}), limits).ads
        assert built is not None
        return built

    def state() -> object:
        return json.dumps([meta.state(), google.state()], sort_keys=True)

    async def sync() -> None:
        backend = make(Limits())
        backends = backend.backends if isinstance(backend, CombinedAds) else [backend]
        for vendor in backends:
            assert isinstance(vendor, VendorAds)
            await vendor.sync_insights(since=b.TODAY - timedelta(days=120), until=b.TODAY - timedelta(days=1))

    if kind == "meta":
        return World(kind, make, state, meta_id, sync, ADS_UNSUPPORTED, "999999999")
    if kind == "google_ads":
        return World(kind, make, state, google_id, sync, ADS_UNSUPPORTED, "999999999", Platform.GOOGLE)
    return World(
        kind, make, state, lambda x: f"google:{google_id(x)}", sync, ADS_UNSUPPORTED, "google:99", Platform.GOOGLE
    )
