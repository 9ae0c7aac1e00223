"""Calibration constants of the market model; the section of SIMULATION.md each comes from is noted.

The market's own figures (platform CPM and CTR, weekly rhythm, order value, delivery and reporting noise) are part of
its truth (`truth.py`): adopted from the brand's past, not constants of the model.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

BATCH: Final = 2_000
"""SKUs simulated per batch, so memory stays bounded on 100k-SKU worlds."""

# -- shop conversion and prices (§2, §5) ---------------------------------------------------------------------
SITE_CVR: Final = 0.032
"""Baseline session → order rate; beauty site CVR is 2.4–4.5% (§2)."""
PROMO_ELASTICITY: Final = 3.63
"""Short-term promotion elasticity: units × (1 + 3.63·depth), 20% off ≈ +73% (§2)."""
PROMO_DEBT_SHARE: Final = 0.2
"""Share of the promotion bump borrowed from later days (§2 dip 4–25% of the bump, §5 0.2)."""
DEBT_DAYS: Final = (7, 14)
"""The borrowed units are repaid evenly over this many days after the promotion (§5)."""
CROSS_ELASTICITY: Final = 1.31
"""Demand loss per unit of competitor price cut: half the mean own-price elasticity −2.62 (§2); an assumption."""

# -- stockouts (§2 GMA 2002, §5) -----------------------------------------------------------------------------
BACKLOG_SHARE: Final = 0.22
SUBSTITUTE_SHARE: Final = 0.12
"""Unmet demand: 22% waits (≈7 days), 12% buys a sibling SKU, the rest (66%) is lost (§5)."""
BACKLOG_DAYS: Final = 7

# -- media (§1, §2, §5) --------------------------------------------------------------------------------------
CPM_ETA: Final = 0.25
"""CPM rises with spend as (1 + S/B)^η, η ≈ 0.25 (§5)."""
CPM_DEPTH: Final = 4.0
"""B = 4 × the campaign's saturation spend: the auction gets dearer well past saturation (assumption)."""
AUDIENCE_CAP: Final = 20.0
"""Click fatigue Hill(slope 1) half point: 20 × the impressions bought at saturation spend (assumption)."""
NOVEMBER_CPM: Final = (1.23, 1.66)
"""November CPM +23% on the 1st rising to +66% by month end (§2)."""
BRAND_THETA: Final = 0.85
"""Daily carryover of brand awareness from impressions; top of the daily adstock range 0.5–0.85 (§1)."""
BRAND_RHO: Final = 0.05
"""Organic demand × (1 + ρ·Hill(A)) / (1 + ρ/2); the half point is the starting awareness (assumption)."""

# -- CRM (§2 email benchmarks, §5) ---------------------------------------------------------------------------
MESSAGE_CLICK: Final = 0.033
"""Click rate of a first message in 7 days: midpoint of 1.9% (beauty) and 4.7% (flows) (§2)."""
MESSAGE_ORDER: Final = 0.0155
"""Placed-order rate per delivered message, 1.4–1.7% (§2); orders come from clickers."""
UNSUBSCRIBE: Final = 0.003
"""Unsubscribe rate 0.30% per send, × (1 + earlier sends in 7 days) (§2, §5)."""
FATIGUE_DECAY: Final = 0.25
"""Responses × exp(−λ·(sends in 7 days − 1)) (§5); λ is an assumption."""
MESSAGE_COST_MINOR: Final = MappingProxyType({"email": 0.1, "sms": 4.0, "whatsapp": 3.0})
"""Provider cost per delivered message in EUR cents (typical ESP / SMS / WhatsApp marketing rates)."""

# -- reviews (§2 Spiegel, §5) --------------------------------------------------------------------------------
REVIEW_RATE: Final = 0.035
"""New reviews ~ Binomial(units sold 7 days earlier, 3.5%) (§5: 2–5%)."""
REVIEW_LAG: Final = 7
RATING_WEIGHTS: Final = ((5, 56), (4, 29), (3, 8), (2, 3), (1, 4))
"""Star distribution with mean 4.30 (§5 ≈ 4.3★)."""
STOCKOUT_RATING_SHIFT: Final = -0.4
STOCKOUT_WINDOW: Final = 14
"""Mean rating −0.4★ for SKUs that ran out in the last 14 days (§5 "lower after stockouts"; size assumed)."""
REPLY_RATING_SHIFT: Final = 0.12
"""Replying to reviews lifts later ratings ≈ +0.12★ (§2)."""
REVIEW_COUNT_GAIN: Final = 3.0
REVIEW_COUNT_SCALE: Final = 2.0
"""Count effect 1 + 3·(1 − e^(−n/2)): 5 reviews ≈ 3.7× none, flat after 10 (§2 "+270%")."""
RATING_PEAK: Final = (4.0, 4.7)
"""Purchase likelihood peaks at 4.0–4.7★ and falls toward 5.0 (§2)."""
RATING_SLOPES: Final = (0.35, 0.5)
"""Conversion −35% per star below 4.0 (floor 0.2×) and −50% per star above 4.7 (assumed slopes)."""

# -- money ---------------------------------------------------------------------------------------------------
PAYMENT_FEE: Final = 0.029
"""Payment processing, 2.9% of what customers paid."""
HOLDING_RATE: Final = 0.001
"""Holding cost per day, 0.1% of stock value at cost."""
