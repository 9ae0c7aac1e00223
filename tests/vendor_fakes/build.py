"""Vendor backends wired to the fakes through respx (tests never reach the network)."""

from __future__ import annotations

from datetime import date

import httpx
import respx

from cadencia.tools.store.store import Store
from cadencia.tools.vendors.config import BackendsConfig, Secrets
from cadencia.tools.vendors.factory import Builder, VendorBackends
from vendor_fakes import shopify

ENV = {"SHOPIFY_ACCESS_TOKEN": shopify.TOKEN}
TODAY = date(2026, 3, 2)


async def no_sleep(_: float) -> None:
    return None


def config(**capabilities: object) -> BackendsConfig:
    return BackendsConfig.model_validate(capabilities)


SHOPIFY = {"backend": "shopify", "shop_url": "https://lysa.myshopify.com"}


def build(store: Store, client: httpx.AsyncClient, cfg: BackendsConfig, *, shadow: bool = False) -> VendorBackends:
    return Builder(cfg, client=client, store=store, shadow=shadow, secrets=Secrets(None, ENV), sleep=no_sleep).build()


def route_shopify(router: respx.MockRouter, fake: shopify.FakeShopify) -> respx.Route:
    return router.route(host="lysa.myshopify.com").mock(side_effect=fake.handle)
