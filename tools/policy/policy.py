"""Declarative guardrail policies (YAML): rules naming registered checks, each with validated parameters.

A policy that names an unknown check, misspells a parameter or gives it the wrong type is refused with an
error naming the rule; no rule is ever dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator
from pydantic_core import ErrorDetails

from cadencia.tools.policy.checks import default_registry
from cadencia.tools.policy.context import CheckParams, OnViolation, RuleRef
from cadencia.tools.policy.registry import Check, CheckRegistry

POLICY_PACKAGE = "cadencia.tools.policy.policies"


class PolicyError(ValueError):
    """A policy that does not validate; the message names the file, the rule and the field."""


class Rule(BaseModel):
    """One rule: which check, with which parameters, on which tools, and what a violation means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    check: str = Field(min_length=1)
    params: dict[str, JsonValue] = Field(default_factory=dict)
    applies_to: list[str] = Field(default_factory=lambda: ["*"], min_length=1, description="Tool name globs.")
    on_violation: OnViolation = OnViolation.DENY
    enabled: bool = True
    description: str = ""

    def applies(self, tool: str) -> bool:
        return any(fnmatchcase(tool, pattern) for pattern in self.applies_to)


class Policy(BaseModel):
    """A versioned, ordered list of rules; order is the order clamps are applied in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    name: str = ""
    description: str = ""
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return self


@dataclass(frozen=True)
class CompiledRule:
    """A rule bound to its check and its parsed parameters, ready for the engine."""

    rule: Rule
    check: Check[Any]
    params: CheckParams

    @property
    def ref(self) -> RuleRef[Any]:
        return RuleRef(id=self.rule.id, params=self.params, on_violation=self.rule.on_violation)


def compile_policy(policy: Policy, registry: CheckRegistry | None = None) -> list[CompiledRule]:
    """Bind every rule (enabled or not) to its check; raises `PolicyError` naming the first bad rule."""
    registry = registry or default_registry()
    compiled: list[CompiledRule] = []
    for rule in policy.rules:
        found = registry.get(rule.check)
        if found is None:
            known = ", ".join(registry.names())
            raise PolicyError(f"rule {rule.id!r}: unknown check {rule.check!r} (known checks: {known})")
        if rule.on_violation is OnViolation.CLAMP and not found.clamps:
            raise PolicyError(
                f"rule {rule.id!r}: check {rule.check!r} cannot clamp; use on_violation deny or require_approval"
            )
        try:
            params = found.params.model_validate(rule.params)
        except ValidationError as exc:
            accepted = ", ".join(found.params.model_fields) or "no parameters"
            problems = "; ".join(_param_problem(err) for err in exc.errors(include_url=False))
            raise PolicyError(f"rule {rule.id!r} (check {rule.check!r}, accepts: {accepted}): {problems}") from exc
        compiled.append(CompiledRule(rule=rule, check=found, params=params))
    return compiled


def parse_policy(data: object, *, source: str = "policy", registry: CheckRegistry | None = None) -> Policy:
    """Validate already-parsed YAML/JSON data as a policy, including every rule's check and parameters."""
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {shape_problem(exc.errors(include_url=False)[0], data)}") from exc
    try:
        compile_policy(policy, registry)
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from exc
    return policy


def read_policy_yaml(path: Path, *, what: str = "policy") -> object:
    """The parsed YAML of a policy file; an unreadable file or bad YAML is a PolicyError naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: cannot read {what}: {exc}") from exc


def packaged_policy_yaml(name: str) -> tuple[object, str]:
    """The parsed YAML of a policy shipped in the package, and the source name errors give it."""
    text = files(POLICY_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text), f"{POLICY_PACKAGE}/{name}"


def load_policy(path: Path, *, registry: CheckRegistry | None = None) -> Policy:
    """Read and fully validate a policy file."""
    return parse_policy(read_policy_yaml(path), source=str(path), registry=registry)


def default_policy(registry: CheckRegistry | None = None) -> Policy:
    """The shipped conservative policy: every built-in check, goal-driven parameters."""
    return _packaged("default.yaml", registry)


def demo_policy(registry: CheckRegistry | None = None) -> Policy:
    """The Maison Lysa demo policy: the default tightened with brand-specific parameters."""
    return _packaged("demo.yaml", registry)


def _packaged(name: str, registry: CheckRegistry | None) -> Policy:
    data, source = packaged_policy_yaml(name)
    return parse_policy(data, source=source, registry=registry)


def _param_problem(err: ErrorDetails) -> str:
    field = ".".join(str(p) for p in err["loc"]) or "params"
    if err["type"] == "extra_forbidden":
        return f"params.{field}: unknown parameter"
    return f"params.{field}: {err['msg']}"


def shape_problem(err: ErrorDetails, data: object) -> str:
    loc = list(err["loc"])
    message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        index = loc[1]
        field = ".".join(str(p) for p in loc[2:]) or "(rule)"
        return f"{_rule_label(data, index)}: {field}: {message}"
    return f"{'.'.join(str(p) for p in loc) or '(root)'}: {message}"


def _rule_label(data: object, index: int) -> str:
    rules = data.get("rules") if isinstance(data, dict) else None
    raw = rules[index] if isinstance(rules, list) and index < len(rules) else None
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    return f"rule {rule_id!r} (rules[{index}])" if isinstance(rule_id, str) else f"rules[{index}]"
