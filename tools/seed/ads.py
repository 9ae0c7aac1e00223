"""The ad accounts' rows: campaigns on three platforms and their daily performance history.

Budgets moved over the history (so marginal ROAS is estimable from it) and each campaign's reported revenue follows
its latent response curve, over-credited by its platform, with delivery and reporting noise on top.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from cadencia.tools.seed.catalog import sku_id
from cadencia.tools.seed.latent import MARKET, CampaignTraits, draw_campaign_curve
from cadencia.tools.seed.rand import poisson, stream
from cadencia.tools.seed.sizes import CURRENCY, Sizes

OBJECTIVES = ("conversions", "traffic", "awareness")
KINDS = ("Prospecting", "Retargeting", "Brand", "Launch", "Always-on")
BUDGET_PHASES = (0.6, 1.0, 1.3, 0.8, 1.1)
"""The history's budget level, changed every 14 days."""
IMPRESSION_NOISE = (0.9, 1.1)


def campaign_id(platform: str, j: int) -> str:
    return f"CMP-{platform[:2].upper()}{j:03d}"


def campaign(seed: int, platform: str, j: int, skus: int, today: date) -> tuple[dict[str, Any], CampaignTraits]:
    """The `campaigns` row of campaign j on `platform` and the response traits its history is drawn from."""
    rng = stream(seed, "campaign", platform, j)
    budget = rng.choice([3_000, 5_000, 8_000, 12_000, 15_000, 20_000])
    # Saturation point relative to budget: < 1 means the campaign already runs past its efficient spend.
    saturation = round(budget * rng.choice(MARKET.saturation_multiples))
    sku = sku_id(rng.randrange(min(skus, 40))) if j % 2 == 0 else None
    active = j < 3 or rng.random() < 0.7
    row = {
        "id": campaign_id(platform, j),
        "platform": platform,
        "name": f"{platform.title()} · {KINDS[j % 5]} {j + 1}",
        "status": "active" if active else "paused",
        "objective": OBJECTIVES[j % 3],
        "currency": CURRENCY,
        "daily_budget_minor": budget,
        "sku": sku,
        "holdout_pct": 10 if j == 0 else 0,
        "created_on": (today - timedelta(days=120)).isoformat(),
    }
    return row, draw_campaign_curve(rng, platform, saturation)


def all_campaigns(seed: int, sizes: Sizes, today: date) -> Iterator[tuple[dict[str, Any], CampaignTraits]]:
    for platform in MARKET.platforms:
        for j in range(sizes.campaigns_per_platform):
            yield campaign(seed, platform, j, sizes.skus, today)


def campaigns(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    return (row for row, _ in all_campaigns(seed, sizes, today))


def true_response(effective_spend: float, traits: CampaignTraits) -> float:
    """Hill saturation of adstocked spend: response_max · x^α / (x^α + saturation^α)."""
    if effective_spend <= 0:
        return 0.0
    x, half, alpha = effective_spend, traits.saturation_minor, traits.hill_alpha
    return traits.response_max_minor * (x**alpha / (x**alpha + half**alpha))


def performance(seed: int, sizes: Sizes, today: date) -> Iterator[dict[str, Any]]:
    for c, traits in all_campaigns(seed, sizes, today):
        rng = stream(seed, "performance", c["id"])
        rates = MARKET.platforms[c["platform"]]
        carry = 0.0
        for back in range(sizes.history_days, 0, -1):
            day = today - timedelta(days=back)
            level = BUDGET_PHASES[(sizes.history_days - back) // 14 % len(BUDGET_PHASES)]
            spend = round(c["daily_budget_minor"] * level * rng.uniform(*MARKET.delivery))
            carry = spend + traits.adstock_theta * carry
            incremental = true_response(carry * (1 - traits.adstock_theta), traits)
            attributed = round(incremental * traits.attribution_inflation * rng.uniform(*MARKET.attribution_noise))
            impressions = round(spend / rates.cpm_minor * 1000 * rng.uniform(*IMPRESSION_NOISE))
            clicks = poisson(rng, impressions * rates.ctr)
            conversions = max(round(attributed / MARKET.aov_minor), min(clicks, poisson(rng, clicks * rates.cvr * 0.2)))
            exposed = impressions // MARKET.impressions_per_user
            holdout_users = exposed * c["holdout_pct"] // (100 - c["holdout_pct"]) if c["holdout_pct"] else 0
            base_rate = conversions / exposed * 0.6 if exposed else 0
            yield {
                "campaign_id": c["id"],
                "day": day.isoformat(),
                "spend_minor": spend,
                "impressions": impressions,
                "clicks": clicks,
                "conversions": conversions,
                "revenue_minor": attributed,
                "holdout_users": holdout_users,
                "holdout_conversions": poisson(rng, holdout_users * base_rate) if holdout_users else 0,
                "exposed_users": exposed if c["holdout_pct"] else 0,
            }
