"""Inverse-CDF draws: one uniform in, one count out, monotone in the mean.

Two runs that share a uniform (same seed, day and entity) but differ in the mean (an agent raised a budget) then
differ by the smallest possible count, which keeps counterfactual differences nearly noise-free.
"""

from __future__ import annotations

import math
from statistics import NormalDist

NORMAL_ABOVE = 30.0
"""Means above this use the normal approximation (one inverse-CDF call instead of a long sum)."""
EDGE = 1e-12


def _normal(u: float, mean: float, variance: float) -> int:
    u = min(max(u, EDGE), 1 - EDGE)
    return max(0, round(NormalDist(mean, math.sqrt(variance)).inv_cdf(u)))


def poisson_at(u: float, mean: float) -> int:
    """The Poisson(mean) quantile at `u` ∈ [0, 1)."""
    if mean <= 0:
        return 0
    if mean > NORMAL_ABOVE:
        return _normal(u, mean, mean)
    k, term = 0, math.exp(-mean)
    cdf = term
    while u > cdf and term > 0:
        k += 1
        term *= mean / k
        cdf += term
    return k


def binomial_at(u: float, n: int, p: float) -> int:
    """The Binomial(n, p) quantile at `u` ∈ [0, 1)."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n * p > NORMAL_ABOVE:
        return min(n, _normal(u, n * p, n * p * (1 - p)))
    k, term = 0, math.exp(n * math.log1p(-p))
    cdf, odds = term, p / (1 - p)
    while u > cdf and k < n:
        term *= (n - k) / (k + 1) * odds
        k += 1
        cdf += term
    return k
