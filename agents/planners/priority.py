"""Choosing which proposals run when there are more than the run's action budget allows.

Proposals carry a domain and an expected value (minor units, a rough figure the planner states in its rationale).
Within a cycle they are taken round-robin across domains, each domain's most valuable first, so one domain cannot
starve the others; a cycle spends at most a share of the run's remaining action budget, so later cycles can still
act on what they see then.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import zip_longest

from cadencia.agents.actions import ExecutedAction, ProposedAction

CYCLE_SHARE = 0.75
"""Most of the remaining action budget one cycle may use (unless it is the last cycle)."""


class Domain(StrEnum):
    """Round-robin order: safety first, then what loses money fastest when ignored."""

    SAFETY = "safety"
    STOCK = "stock"
    REVIEWS = "reviews"
    ADS = "ads"
    MESSAGING = "messaging"
    PROMOTIONS = "promotions"


@dataclass(frozen=True)
class Candidate:
    """A proposal with the domain it serves and its expected value in minor units (higher first)."""

    action: ProposedAction
    domain: Domain
    value_minor: int
    group: str = ""
    """Proposals sharing a non-empty group are taken together or not at all (e.g. the two legs of a budget move)."""
    cost: int = 1
    """Actions of the run's budget it commits to: a draft that needs a later confirmation costs both."""


def remaining_actions(max_actions: int, executed: Sequence[ExecutedAction]) -> int:
    """Actions the run may still take: the guardrails count every world-changing call attempted."""
    return max(0, max_actions - sum(1 for e in executed if e.reversibility.mutates))


def cycle_quota(remaining: int, cycles_left: int) -> int:
    """How many actions this cycle may take: all of what remains on the last cycle, else a share of it."""
    if cycles_left <= 1:
        return remaining
    return min(remaining, max(1, math.floor(remaining * CYCLE_SHARE)))


def prioritise(candidates: Sequence[Candidate], quota: int) -> list[ProposedAction]:
    """Proposals committing at most `quota` actions, chosen round-robin across domains in `Domain` order (each domain
    by value, groups whole), returned in the order they were proposed (the playbook's order of execution)."""
    by_domain: dict[Domain, list[list[Candidate]]] = {}
    for domain in Domain:
        units: dict[str, list[Candidate]] = {}
        for c in candidates:
            if c.domain is domain:
                units.setdefault(c.group or f"#{id(c)}", []).append(c)
        by_domain[domain] = sorted(units.values(), key=lambda unit: -max(c.value_minor for c in unit))
    chosen: set[int] = set()
    committed = 0
    for round_ in zip_longest(*by_domain.values()):
        for unit in round_:
            cost = sum(c.cost for c in unit) if unit is not None else 0
            if unit is not None and committed + cost <= quota:
                chosen.update(id(c) for c in unit)
                committed += cost
    return [c.action for c in candidates if id(c) in chosen]
