"""The policy language both sides share: declarative YAML policies of pluggable checks, and the engine that runs
them over one proposed action, failing closed (the agent graph and the servers use the same one)."""

from cadencia.tools.policy.checks import BUILTIN_CHECKS, default_registry
from cadencia.tools.policy.context import CheckContext, CheckParams, NoParams, OnViolation, RuleRef, ToolInfo
from cadencia.tools.policy.engine import UNKNOWN_TOOL_RULE, GuardrailEngine, RunView
from cadencia.tools.policy.facts import (
    CampaignFacts,
    ClaimFacts,
    Facts,
    FactsData,
    FactsError,
    MessageFacts,
    ProductFacts,
    StaticFacts,
)
from cadencia.tools.policy.policy import (
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
from cadencia.tools.policy.registry import Check, CheckFn, CheckRegistry, check
from cadencia.tools.policy.totals import LlmUsage, RunTotals

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
