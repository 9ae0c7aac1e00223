"""Guardrails: declarative policies of pluggable checks that judge every proposed action, failing closed."""

from cadencia.agents.guardrails.checks import BUILTIN_CHECKS, default_registry
from cadencia.agents.guardrails.context import CheckContext, CheckParams, NoParams, OnViolation, RuleRef, ToolInfo
from cadencia.agents.guardrails.engine import UNKNOWN_TOOL_RULE, GuardrailEngine, RunView
from cadencia.agents.guardrails.facts import (
    CampaignFacts,
    ClaimFacts,
    Facts,
    FactsData,
    FactsError,
    MessageFacts,
    ProductFacts,
    StaticFacts,
)
from cadencia.agents.guardrails.policy import (
    CompiledRule,
    Policy,
    PolicyError,
    Rule,
    compile_policy,
    default_policy,
    demo_policy,
    load_policy,
    parse_policy,
)
from cadencia.agents.guardrails.registry import Check, CheckFn, CheckRegistry, check
from cadencia.agents.guardrails.totals import LlmUsage, RunTotals

__all__ = [
    "BUILTIN_CHECKS",
    "UNKNOWN_TOOL_RULE",
    "CampaignFacts",
    "Check",
    "CheckContext",
    "CheckFn",
    "CheckParams",
    "CheckRegistry",
    "ClaimFacts",
    "CompiledRule",
    "Facts",
    "FactsData",
    "FactsError",
    "GuardrailEngine",
    "LlmUsage",
    "MessageFacts",
    "NoParams",
    "OnViolation",
    "Policy",
    "PolicyError",
    "ProductFacts",
    "Rule",
    "RuleRef",
    "RunTotals",
    "RunView",
    "StaticFacts",
    "ToolInfo",
    "check",
    "compile_policy",
    "default_policy",
    "default_registry",
    "demo_policy",
    "load_policy",
    "parse_policy",
]
