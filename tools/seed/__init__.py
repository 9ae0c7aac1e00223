"""Deterministic generator of the Maison Lysa demo brand (catalog, ads, reviews, CRM) from a seed."""

from cadencia.tools.seed.generate import campaign_traits, product_traits, seed_store
from cadencia.tools.seed.latent import MARKET, CampaignTraits, MarketSpec, PlatformSpec, ProductTraits
from cadencia.tools.seed.sizes import SIZES, Scale

__all__ = [
    "MARKET",
    "SIZES",
    "CampaignTraits",
    "MarketSpec",
    "PlatformSpec",
    "ProductTraits",
    "Scale",
    "campaign_traits",
    "product_traits",
    "seed_store",
]
