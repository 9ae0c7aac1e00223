"""Built-in checks, and the registry policies resolve check names against."""

from __future__ import annotations

from cadencia.tools.policy.checks.approval import reversibility_approval
from cadencia.tools.policy.checks.budgets import blast_radius, compute_budget
from cadencia.tools.policy.checks.channels import channels_allowed
from cadencia.tools.policy.checks.claims import approved_claims
from cadencia.tools.policy.checks.disclosure import ai_disclosure
from cadencia.tools.policy.checks.hands_off import hands_off
from cadencia.tools.policy.checks.injection import prompt_injection
from cadencia.tools.policy.checks.messaging import consent_and_frequency
from cadencia.tools.policy.checks.pii import pii_outbound
from cadencia.tools.policy.checks.pricing import max_discount, price_floor
from cadencia.tools.policy.checks.spend import spend_caps
from cadencia.tools.policy.checks.stock import stock_aware_promotion
from cadencia.tools.policy.checks.thresholds import thresholds
from cadencia.tools.policy.registry import CheckRegistry

BUILTIN_CHECKS = (
    spend_caps,
    price_floor,
    max_discount,
    stock_aware_promotion,
    channels_allowed,
    hands_off,
    consent_and_frequency,
    approved_claims,
    ai_disclosure,
    pii_outbound,
    prompt_injection,
    blast_radius,
    compute_budget,
    reversibility_approval,
    thresholds,
)


def default_registry() -> CheckRegistry:
    """A registry of every built-in check; add your own with `default_registry().with_checks(my_check)`."""
    return CheckRegistry(BUILTIN_CHECKS)


__all__ = ["BUILTIN_CHECKS", "default_registry"]
