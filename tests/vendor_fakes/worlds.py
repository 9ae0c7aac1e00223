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
from sqlalchemy import insert, select

from cadencia.tools.ads.backend import AdsBackend
from cadencia.tools.ads.models import Platform
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.ads.vendors.combined import CombinedAds
from cadencia.tools.ads.vendors.common import VendorAds
from cadencia.tools.crm.sandbox import SandboxCrm
from cadencia.tools.crm.tables import contacts, deliveries
from cadencia.tools.inventory.sandbox import SandboxInventory
from cadencia.tools.inventory.vendors.shopify import ShopifyInventory
from cadencia.tools.limits import Limits
from cadencia.tools.reviews.sandbox import SandboxReviews
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.config import BackendsConfig, Secrets
from cadencia.tools.vendors.factory import Builder, VendorBackends
from cadencia.tools.vendors.ledger import VendorLedger
from cadencia.tools.vendors.tables import vendor_deliveries
from vendor_fakes import build as b
from vendor_fakes.google_ads import FakeGoogleAds, google_id
from vendor_fakes.google_business import FakeGoogleBusiness
from vendor_fakes.klaviyo import FakeKlaviyo, klaviyo_id
from vendor_fakes.meta import FakeMeta, meta_id
from vendor_fakes.shopify import LOCATIONS, FakeShopify

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
    delivered: Callable[[str], set[str]] = lambda _: set()
    """Sandbox contact ids a send reached (CRM worlds)."""

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
        now=lambda: b.NOW,
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


CRM_WORLDS = ("sandbox", "klaviyo")
CRM_UNSUPPORTED: dict[str, dict[str, Any]] = {
    "create_segment": {"name": "New", "rules": {"min_orders": 1}, "idempotency_key": None},
    "estimate_segment": {"segment_id": None, "rules": {"min_orders": 1}},
}


def contact_id(profile_id: str) -> str:
    """The sandbox id of a fake Klaviyo profile (inverse of `klaviyo_id`)."""
    return f"C-{int(profile_id[-17:]):07d}"


def crm_id(sandbox_id: str) -> str:
    return f"segment:{sandbox_id}" if sandbox_id.startswith("SEG-") else klaviyo_id(sandbox_id)


def sandbox_delivered(store: Store, send_id: str) -> set[str]:
    with store.reading() as conn:
        return set(conn.execute(select(deliveries.c.contact_id).where(deliveries.c.send_id == send_id)).scalars())


def seed_klaviyo_ledger(store: Store, ledger: VendorLedger) -> None:
    """What Cadencia would already know of this account: its earlier suppressions and deliveries."""
    with store.reading() as conn:
        suppressed = conn.execute(
            select(contacts.c.id, contacts.c.suppressed_reason, contacts.c.suppressed_on).where(
                contacts.c.suppressed.is_(True)
            )
        ).all()
        sent = conn.execute(select(deliveries)).mappings().all()
    for cid, reason, on in suppressed:
        ledger.observe("suppression", klaviyo_id(cid), {"reason": reason or "", "on": on})
    with store.writing() as conn:
        for row in sent:
            values = {**dict(row), "contact_id": klaviyo_id(row["contact_id"]), "backend": ledger.backend}
            values.pop("kind", None)
            conn.execute(insert(vendor_deliveries).values(**values))


def crm_world(kind: str, store: Store, client: httpx.AsyncClient, router: respx.MockRouter) -> World:
    """The CRM capability on `kind`, seeded from the sandbox's contacts, consents, segments and deliveries."""
    if kind == "sandbox":
        return World(
            kind,
            lambda limits: SandboxCrm(store, limits),
            store.state_hash,
            delivered=lambda send_id: sandbox_delivered(store, send_id),
        )
    fake = FakeKlaviyo.from_store(store)
    b.route_klaviyo(router, fake)
    ledger = VendorLedger(store, "klaviyo")
    seed_klaviyo_ledger(store, ledger)

    def make(limits: Limits) -> Any:
        return build_with(store, client, BackendsConfig.model_validate({"crm": b.KLAVIYO}), limits).crm

    def delivered(send_id: str) -> set[str]:
        state = ledger.object("send", send_id)
        return {contact_id(p) for p in fake.delivered(str(state["campaign_id"]))} if state else set()

    return World(
        kind,
        make,
        fake.state,
        crm_id,
        unsupported=CRM_UNSUPPORTED,
        missing_id="01KLAVIYO99999999999999999",
        delivered=delivered,
    )


REVIEWS_WORLDS = ("sandbox", "google_business")
REVIEWS_UNSUPPORTED: dict[str, dict[str, Any]] = {
    "request_reviews": {
        "sku": "ML-000005",
        "contact_ids": ["C-0000001"],
        "channel": "email",
        "dry_run": True,
        "idempotency_key": None,
    },
    "list_review_requests": {"sku": None, "contact_id": None, "since": None, "cursor": None, "limit": 20},
}


def reviews_world(kind: str, store: Store, client: httpx.AsyncClient, router: respx.MockRouter) -> World:
    """The reviews capability on `kind`, seeded from the sandbox's reviews and replies."""
    if kind == "sandbox":
        return World(kind, lambda limits: SandboxReviews(store, limits), store.state_hash)
    fake = FakeGoogleBusiness.from_store(store)
    b.route_google_business(router, fake)

    def make(limits: Limits) -> Any:
        return build_with(store, client, BackendsConfig.model_validate({"reviews": b.GOOGLE_BUSINESS}), limits).reviews

    return World(kind, make, fake.state, unsupported=REVIEWS_UNSUPPORTED, missing_id="RV-999999")


INVENTORY_WORLDS = ("sandbox", "shopify")
INVENTORY_UNSUPPORTED: dict[str, dict[str, Any]] = {
    "forecast_demand": {"sku": "ML-000002", "horizon_days": 14, "service_level": 0.95},
    "list_forecasts": {"reorder_only": True, "limit": 100},
    "update_product_content": {"sku": "ML-000001", "title": "Palette", "description": None, "bullets": ["Vegan"]},
    "list_purchase_orders": {"status": None},
    "create_purchase_order": {"sku": "ML-000001", "warehouse_id": "11", "quantity": 5},
    "confirm_purchase_order": {"purchase_order_id": "PO-000001"},
    "cancel_purchase_order": {"purchase_order_id": "PO-000001"},
}


def inventory_world(kind: str, store: Store, client: httpx.AsyncClient, router: respx.MockRouter) -> World:
    """The inventory capability on `kind`, seeded from the sandbox's catalogue, stock and daily sales."""
    if kind == "sandbox":
        return World(kind, lambda limits: SandboxInventory(store, limits), store.state_hash)
    fake = FakeShopify.from_store(store)
    b.route_shopify(router, fake)

    def make(limits: Limits) -> Any:
        config = BackendsConfig.model_validate({"inventory": b.SHOPIFY})
        return build_with(store, client, config, limits).inventory

    async def sync() -> None:
        backend = make(Limits())
        assert isinstance(backend, ShopifyInventory)
        await backend.sync_orders()

    def warehouse(sandbox_id: str) -> str:
        return str(LOCATIONS.get(sandbox_id, sandbox_id))

    return World(kind, make, fake.state, warehouse, sync, INVENTORY_UNSUPPORTED)
