"""Built-in checks, and the registry policies resolve check names against."""

from __future__ import annotations

from cadencia.agents.guardrails.checks.approval import reversibility_approval
from cadencia.agents.guardrails.checks.budgets import blast_radius, compute_budget
from cadencia.agents.guardrails.checks.channels import channels_allowed
from cadencia.agents.guardrails.checks.claims import approved_claims
from cadencia.agents.guardrails.checks.disclosure import ai_disclosure
from cadencia.agents.guardrails.checks.injection import prompt_injection
from cadencia.agents.guardrails.checks.messaging import consent_and_frequency
from cadencia.agents.guardrails.checks.pii import pii_outbound
from cadencia.agents.guardrails.checks.pricing import max_discount, price_floor
from cadencia.agents.guardrails.checks.spend import spend_caps
from cadencia.agents.guardrails.checks.stock import stock_aware_promotion
from cadencia.agents.guardrails.registry import CheckRegistry

BUILTIN_CHECKS = (
    spend_caps,
    price_floor,
    max_discount,
    stock_aware_promotion,
    channels_allowed,
    consent_and_frequency,
    approved_claims,
    ai_disclosure,
    pii_outbound,
    prompt_injection,
    blast_radius,
    compute_budget,
    reversibility_approval,
)


def default_registry() -> CheckRegistry:
    """A registry of every built-in check; add your own with `default_registry().with_checks(my_check)`."""
    return CheckRegistry(BUILTIN_CHECKS)


__all__ = ["BUILTIN_CHECKS", "default_registry"]
