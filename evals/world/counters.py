"""Counter-based random numbers: uniform i of stream (seed, day, component, entity) is a pure function of its keys.

No generator state is carried, so a whole catalog's draws come out as arrays in one pass, in any batch order, and
two copies of a world (baseline and agent) share every draw that their actions do not change. The mix is
SplitMix64's finaliser over key ⊕ entity plus a Weyl counter; the top 53 bits give a double in [0, 1).
"""

from __future__ import annotations

import hashlib
from bisect import bisect
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import TypeVar

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
M1, M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
SCALE = 2.0**-53
_S11, _S27, _S30, _S31 = (np.uint64(n) for n in (11, 27, 30, 31))
_M1, _M2 = np.uint64(M1), np.uint64(M2)
_ENTITIES: dict[str, int] = {}
T = TypeVar("T")


def stream_key(seed: int, *parts: object) -> int:
    """The 64-bit key of a family of streams, e.g. (seed, "sim", day, "shop"): stable across processes."""
    text = ":".join(str(part) for part in (seed, *parts)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def entity_key(name: str) -> int:
    """The 64-bit key of an entity (a SKU id), cached: the same ids come back every simulated day."""
    key = _ENTITIES.get(name)
    if key is None:
        key = _ENTITIES[name] = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    return key


def entity_keys(names: Iterable[str]) -> np.ndarray:
    return np.fromiter((entity_key(name) for name in names), dtype=np.uint64)


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * M1) & MASK
    z = ((z ^ (z >> 27)) * M2) & MASK
    return z ^ (z >> 31)


def _mix_array(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def uniforms(key: int, entities: np.ndarray, first: int, count: int) -> np.ndarray:
    """Uniforms `first … first+count-1` of each entity's stream under `key`: shape (len(entities), count)."""
    base = _mix_array(entities ^ np.uint64(key))
    out = np.empty((len(entities), count), dtype=np.float64)
    for i in range(count):
        weyl = np.uint64(((first + i + 1) * GOLDEN) & MASK)
        out[:, i] = (_mix_array(base + weyl) >> _S11).astype(np.float64) * SCALE
    return out


class CounterStream:
    """One entity's stream read one uniform at a time from counter `at` (the same numbers as `uniforms`)."""

    __slots__ = ("_at", "_base")

    def __init__(self, key: int, entity: int, at: int = 0) -> None:
        self._base = _mix(entity ^ key)
        self._at = at

    def random(self) -> float:
        self._at += 1
        return (_mix((self._base + self._at * GOLDEN) & MASK) >> 11) * SCALE

    def choice(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def choices(self, population: Sequence[T], weights: Sequence[float]) -> list[T]:
        """One weighted pick, as `random.Random.choices(population, weights)` makes it from one uniform."""
        cumulative = list(accumulate(weights))
        return [population[bisect(cumulative, self.random() * cumulative[-1], 0, len(population) - 1)]]
