"""Seeded randomness helpers: one named stream per component, so adding data to one never shifts another."""

from __future__ import annotations

import hashlib
import math
import random


def stream(seed: int, *parts: object) -> random.Random:
    """An independent RNG for (seed, parts…): stable across Python versions and processes."""
    key = ":".join(str(p) for p in (seed, *parts)).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw; Knuth for small means, a rounded normal approximation for large ones."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1
