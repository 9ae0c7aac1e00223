"""Builds vendor backends from `backends.yaml`: one VendorHttp (auth, pacing, retries, breaker) and one ledger each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import anyio
import httpx
from aiolimiter import AsyncLimiter

from cadencia.tools.ads.backend import AdsBackend
from cadencia.tools.ads.vendors.combined import CombinedAds
from cadencia.tools.ads.vendors.common import VendorAds, utc_today
from cadencia.tools.ads.vendors.google_ads import GoogleAds
from cadencia.tools.ads.vendors.google_ads_api import ADS_URL, GoogleAdsApi
from cadencia.tools.ads.vendors.meta import MetaAds
from cadencia.tools.ads.vendors.meta_api import GRAPH_URL, MetaGraph
from cadencia.tools.crm.backend import CrmBackend
from cadencia.tools.crm.vendors.klaviyo import KlaviyoCrm, utc_now
from cadencia.tools.crm.vendors.klaviyo_api import KLAVIYO_URL, KlaviyoApi
from cadencia.tools.inventory.backend import InventoryBackend
from cadencia.tools.inventory.vendors.shopify import ShopifyInventory
from cadencia.tools.inventory.vendors.shopify_api import ShopifyGraphQL
from cadencia.tools.limits import Limits
from cadencia.tools.reviews.backend import ReviewsBackend
from cadencia.tools.reviews.vendors.google_business import GoogleBusinessReviews
from cadencia.tools.reviews.vendors.google_business_api import GBP_URL, GoogleBusinessApi
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.auth import Auth, HeaderAuth, OAuthRefresh
from cadencia.tools.vendors.breaker import CircuitBreaker
from cadencia.tools.vendors.config import (
    BackendsConfig,
    CombinedAdsConfig,
    Connection,
    GoogleAdsConfig,
    GoogleBusinessConfig,
    GoogleOAuth,
    KlaviyoConfig,
    MetaConfig,
    Secrets,
    ShopifyConfig,
)
from cadencia.tools.vendors.google import retry_delay
from cadencia.tools.vendors.http import RetryPolicy, Throttle, VendorHttp
from cadencia.tools.vendors.ledger import VendorLedger
from cadencia.tools.vendors.secrets import Scrubber
from cadencia.tools.vendors.throttle import MetaUsageThrottle, ShopifyCostThrottle
from cadencia.tools.vendors.writes import VendorWrites

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class VendorBackends:
    """The vendor-backed capabilities (None: that capability stays on the sandbox)."""

    inventory: InventoryBackend | None = None
    ads: AdsBackend | None = None
    crm: CrmBackend | None = None
    reviews: ReviewsBackend | None = None
    names: dict[str, str] | None = None
    """capability → backend name, for messages and `backends check`."""


class Builder:
    """Shared pieces for every adapter: the client, the secrets, the store, shadow mode and limits."""

    def __init__(
        self,
        config: BackendsConfig,
        *,
        client: httpx.AsyncClient,
        store: Store,
        limits: Limits | None = None,
        shadow: bool | None = None,
        secrets: Secrets | None = None,
        sleep: Sleep = anyio.sleep,
        today: Callable[[], date] = utc_today,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config, self.client, self.store = config, client, store
        self.today, self.now = today, now
        self.limits = limits or Limits()
        self.shadow = config.shadow if shadow is None else shadow
        self.secrets = secrets or Secrets(config.secrets_file)
        self.sleep = sleep

    def http(
        self,
        vendor: str,
        conn: Connection,
        auth: Auth,
        scrubber: Scrubber,
        throttle: Throttle | None = None,
        retry_hint: Callable[[httpx.Response], float | None] | None = None,
    ) -> VendorHttp:
        return VendorHttp(
            self.client,
            vendor=vendor,
            auth=auth,
            scrubber=scrubber,
            policy=RetryPolicy(attempts=conn.max_attempts, timeout_s=conn.timeout_s),
            limiter=AsyncLimiter(conn.requests_per_second, 1.0),
            throttle=throttle,
            breaker=CircuitBreaker(vendor),
            sleep=self.sleep,
            retry_hint=retry_hint,
        )

    def writes(self, backend: str, vendor: str) -> VendorWrites:
        return VendorWrites(VendorLedger(self.store, backend), vendor=vendor, shadow=self.shadow)

    def oauth(self, vendor: str, oauth: GoogleOAuth, scrubber: Scrubber, prefix: str) -> OAuthRefresh:
        secret = self.secrets.get(oauth.client_secret_env, field=f"{prefix}.oauth.client_secret_env")
        refresh = self.secrets.get(oauth.refresh_token_env, field=f"{prefix}.oauth.refresh_token_env")
        scrubber.add(secret)
        scrubber.add(refresh)
        return OAuthRefresh(
            vendor=vendor,
            token_url=oauth.token_url,
            client_id=oauth.client_id,
            client_secret=secret,
            refresh_token=refresh,
            scrubber=scrubber,
        )

    def shopify(self, cfg: ShopifyConfig) -> ShopifyInventory:
        token = self.secrets.get(cfg.access_token_env, field="inventory.access_token_env")
        scrubber = Scrubber([token])
        http = self.http(
            "Shopify",
            cfg,
            HeaderAuth("X-Shopify-Access-Token", token),
            scrubber,
            ShopifyCostThrottle(sleep=self.sleep),
        )
        api = ShopifyGraphQL(http, shop_url=cfg.base_url or cfg.shop_url, api_version=cfg.api_version)
        return ShopifyInventory(
            api,
            self.writes("shopify", "Shopify"),
            limits=self.limits,
            lead_time_days=cfg.lead_time_days,
            today=self.today,
        )

    def meta(self, cfg: MetaConfig, prefix: str = "ads") -> MetaAds:
        token = self.secrets.get(cfg.access_token_env, field=f"{prefix}.access_token_env")
        scrubber = Scrubber([token])
        http = self.http(
            "Meta", cfg, HeaderAuth("Authorization", token, prefix="Bearer "), scrubber, MetaUsageThrottle()
        )
        graph = MetaGraph(http, base_url=cfg.base_url or GRAPH_URL, api_version=cfg.api_version)
        return MetaAds(
            graph,
            self.writes("meta", "Meta"),
            ad_account_id=cfg.ad_account_id,
            currency=cfg.currency,
            limits=self.limits,
            today=self.today,
        )

    def google_ads(self, cfg: GoogleAdsConfig, prefix: str = "ads") -> GoogleAds:
        developer = self.secrets.get(cfg.developer_token_env, field=f"{prefix}.developer_token_env")
        scrubber = Scrubber([developer])
        auth = self.oauth("Google Ads", cfg.oauth, scrubber, prefix)
        http = self.http("Google Ads", cfg, auth, scrubber, retry_hint=retry_delay)
        api = GoogleAdsApi(
            http,
            customer_id=cfg.customer_id,
            developer_token=developer.get_secret_value(),
            login_customer_id=cfg.login_customer_id,
            base_url=cfg.base_url or ADS_URL,
            api_version=cfg.api_version,
        )
        return GoogleAds(
            api, self.writes("google_ads", "Google Ads"), currency=cfg.currency, limits=self.limits, today=self.today
        )

    def klaviyo(self, cfg: KlaviyoConfig) -> KlaviyoCrm:
        key = self.secrets.get(cfg.api_key_env, field="crm.api_key_env")
        scrubber = Scrubber([key])
        http = self.http("Klaviyo", cfg, HeaderAuth("Authorization", key, prefix="Klaviyo-API-Key "), scrubber)
        api = KlaviyoApi(http, revision=cfg.revision, base_url=cfg.base_url or KLAVIYO_URL)
        return KlaviyoCrm(
            api,
            self.writes("klaviyo", "Klaviyo"),
            currency=cfg.currency,
            from_email=cfg.from_email,
            from_label=cfg.from_label,
            limits=self.limits,
            today=self.today,
            now=self.now,
        )

    def google_business(self, cfg: GoogleBusinessConfig) -> GoogleBusinessReviews:
        scrubber = Scrubber()
        auth = self.oauth("Google Business Profile", cfg.oauth, scrubber, "reviews")
        http = self.http("Google Business Profile", cfg, auth, scrubber, retry_hint=retry_delay)
        api = GoogleBusinessApi(
            http, account_id=cfg.account_id, location_id=cfg.location_id, base_url=cfg.base_url or GBP_URL
        )
        return GoogleBusinessReviews(
            api,
            self.writes("google_business", "Google Business Profile"),
            location_id=cfg.location_id,
            today=self.today,
            edits_per_minute=cfg.edits_per_minute,
        )

    def combined(self, cfg: CombinedAdsConfig) -> CombinedAds:
        built: list[VendorAds] = []
        for i, account in enumerate(cfg.accounts):
            if isinstance(account, MetaConfig):
                built.append(self.meta(account, prefix=f"ads.accounts.{i}"))
            else:
                built.append(self.google_ads(account, prefix=f"ads.accounts.{i}"))
        return CombinedAds(built)

    def build(self) -> VendorBackends:
        built = VendorBackends(names={})
        assert built.names is not None
        for capability in ("inventory", "ads", "crm", "reviews"):
            cfg: Any = getattr(self.config, capability)
            built.names[capability] = cfg.backend
            if cfg.backend == "sandbox":
                continue
            setattr(built, capability, getattr(self, cfg.backend)(cfg))
        return built
