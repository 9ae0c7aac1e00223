"""Vendor backends wired to the fakes through respx (tests never reach the network)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import respx

from cadencia.tools.store.store import Store
from cadencia.tools.vendors.config import BackendsConfig, Secrets
from cadencia.tools.vendors.factory import Builder, VendorBackends
from vendor_fakes import google_ads, google_business, klaviyo, meta, shopify

ENV = {
    "SHOPIFY_ACCESS_TOKEN": shopify.TOKEN,
    "META_ACCESS_TOKEN": meta.TOKEN,
    "GOOGLE_ADS_DEVELOPER_TOKEN": google_ads.DEVELOPER_TOKEN,
    "GOOGLE_CLIENT_SECRET": google_ads.CLIENT_SECRET,
    "GOOGLE_REFRESH_TOKEN": google_ads.REFRESH_TOKEN,
    "KLAVIYO_API_KEY": klaviyo.API_KEY,
}
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def no_sleep(_: float) -> None:
    return None


def config(**capabilities: object) -> BackendsConfig:
    return BackendsConfig.model_validate(capabilities)


FAST = {"requests_per_second": 100}
"""The pacer runs on real time: tests let it burst instead of waiting."""
SHOPIFY = {"backend": "shopify", "shop_url": "https://lysa.myshopify.com", **FAST}
META = {"backend": "meta", "ad_account_id": f"act_{meta.ACCOUNT}", "currency": "EUR", **FAST}
GOOGLE_ADS = {
    **FAST,
    "backend": "google_ads",
    "customer_id": google_ads.CUSTOMER,
    "currency": "EUR",
    "oauth": {"client_id": "cadencia-test.apps.googleusercontent.com"},
}
COMBINED = {"backend": "combined", "accounts": [META, GOOGLE_ADS]}
GOOGLE_BUSINESS = {
    **FAST,
    "backend": "google_business",
    "account_id": google_business.ACCOUNT,
    "location_id": google_business.LOCATION,
    "oauth": {"client_id": "cadencia-test.apps.googleusercontent.com"},
}
KLAVIYO = {
    **FAST,
    "backend": "klaviyo",
    "currency": "EUR",
    "from_email": "hola@maisonlysa.example",
    "from_label": "Maison Lysa",
}


def build(store: Store, client: httpx.AsyncClient, cfg: BackendsConfig, *, shadow: bool = False) -> VendorBackends:
    return Builder(
        cfg,
        client=client,
        store=store,
        shadow=shadow,
        secrets=Secrets(None, ENV),
        sleep=no_sleep,
        today=lambda: TODAY,
        now=lambda: NOW,
    ).build()


def route_shopify(router: respx.MockRouter, fake: shopify.FakeShopify) -> respx.Route:
    return router.route(host="lysa.myshopify.com").mock(side_effect=fake.handle)


def route_meta(router: respx.MockRouter, fake: meta.FakeMeta) -> respx.Route:
    return router.route(host="graph.facebook.com").mock(side_effect=fake.handle)


def route_google(router: respx.MockRouter, fake: google_ads.FakeGoogleAds) -> google_ads.FakeGoogleOAuth:
    oauth = google_ads.FakeGoogleOAuth()
    router.route(host="oauth2.googleapis.com").mock(side_effect=oauth.handle)
    router.route(host="googleads.googleapis.com").mock(side_effect=fake.handle)
    return oauth


def route_klaviyo(router: respx.MockRouter, fake: klaviyo.FakeKlaviyo) -> respx.Route:
    return router.route(host="a.klaviyo.com").mock(side_effect=fake.handle)


def route_google_business(
    router: respx.MockRouter, fake: google_business.FakeGoogleBusiness
) -> google_ads.FakeGoogleOAuth:
    oauth = google_ads.FakeGoogleOAuth()
    router.route(host="oauth2.googleapis.com").mock(side_effect=oauth.handle)
    router.route(host="mybusiness.googleapis.com").mock(side_effect=fake.handle)
    return oauth
