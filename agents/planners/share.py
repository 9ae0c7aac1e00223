"""Fair shares of a cycle's action cap: when proposals exceed it, no domain of work may starve the others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def fair_shares(needs: Sequence[int], cap: int) -> list[int]:
    """Max-min fair allocation of `cap` slots to groups needing `needs` slots.

    Every group gets what it needs when the total fits; otherwise slots are dealt equally and what a small
    group leaves over goes to the larger ones (water-filling). An indivisible remainder goes to the earlier
    groups, the caller's priority order.
    """
    shares = [0] * len(needs)
    left = max(cap, 0)
    open_groups = [i for i, need in enumerate(needs) if need > 0]
    while left > 0 and open_groups:
        equal = left // len(open_groups)
        if equal == 0:
            for i in open_groups[:left]:
                shares[i] += 1
            break
        still_open = []
        for i in open_groups:
            grant = min(equal, needs[i] - shares[i])
            shares[i] += grant
            left -= grant
            if shares[i] < needs[i]:
                still_open.append(i)
        open_groups = still_open
    return shares


def within_cap(groups: Sequence[Sequence[T]], cap: int) -> list[T]:
    """The groups' items in order, each group cut to its fair share of `cap` (its own order kept)."""
    shares = fair_shares([len(g) for g in groups], cap)
    return [item for group, share in zip(groups, shares, strict=True) for item in group[:share]]
