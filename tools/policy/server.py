"""The servers' policy: which calls need a person, per-token daily budgets and freeze windows.

Its `rules` are the guardrail policy language itself (same checks, same parameters, run by the same engine); the
`constraints` and `autonomy` a goal would give the checks come from the policy instead. Checks that judge a whole
run (its totals, the text the agent read) have nothing to judge at a server and are refused, as are clamps: a
server never rewrites a caller's arguments.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from cadencia.tools.policy.context import OnViolation
from cadencia.tools.policy.goal import KPI, Autonomy, Constraints, Goal, Metric
from cadencia.tools.policy.notifications import Notifications
from cadencia.tools.policy.policy import (
    Policy,
    PolicyError,
    Rule,
    compile_policy,
    packaged_policy_yaml,
    read_policy_yaml,
    shape_problem,
)
from cadencia.tools.policy.registry import CheckRegistry
from cadencia.tools.reversibility import Reversibility

RUN_CHECKS = {
    "compute_budget": "it counts one run's calls and model tokens; use budgets: for per-token daily limits",
    "blast_radius": "it sums one run's effects; use budgets: for per-token daily limits",
    "prompt_injection": "it needs the third-party text the agent read, which a server does not see",
}
"""Checks of the agent's runs that a server policy cannot use, and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerAutonomy(_Strict):
    """What runs without a person; the reversibility_approval check reads it."""

    auto_approve: list[Reversibility] = Field(
        default_factory=lambda: [Reversibility.READ, Reversibility.REVERSIBLE],
        description="Reversibility classes that run without approval (default: irreversible and compensable ask).",
    )
    auto_approve_tools: list[str] = Field(default_factory=list, description="Tools that never need approval.")
    always_approve_tools: list[str] = Field(default_factory=list, description="Tools that always need approval.")
    approval_timeout_hours: float = Field(24.0, gt=0, le=24 * 30, description="How long an approval stays valid.")
    ask_in_client: bool = Field(
        True,
        description="Ask the caller's own person through MCP (elicitation, input-required) when the client can be "
        "asked; false: only the inbox, the CLI or an approve-scope token answer (the client is not trusted to).",
    )


class DailyBudgets(_Strict):
    """Per token and UTC day: what one caller may change in total; the call that would cross a limit is refused."""

    spend_moved_minor: int | None = Field(None, ge=0, description="Absolute change of active daily ad budgets.")
    contacts_messaged: int | None = Field(None, ge=0, description="Recipients of sends and review requests.")
    prices_changed: int | None = Field(None, ge=0, description="Price changes and promotions.")
    replies_published: int | None = Field(None, ge=0, description="Public replies to reviews.")


class FreezeWindow(_Strict):
    """A period in which every mutating call is refused (reads go on)."""

    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> FreezeWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start {self.start.isoformat()}")
        return self

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


class ServerPolicy(_Strict):
    """A server's policy file (YAML), validated in full when loaded."""

    version: Literal[1]
    name: str = ""
    description: str = ""
    autonomy: ServerAutonomy = ServerAutonomy()
    constraints: Constraints = Constraints()
    rules: list[Rule] = Field(default_factory=list)
    budgets: DailyBudgets = DailyBudgets()
    freeze: list[FreezeWindow] = Field(default_factory=list)
    notifications: Notifications = Notifications()

    def as_policy(self) -> Policy:
        """The rules as a guardrail policy, for the engine."""
        return Policy(version=1, name=self.name, description=self.description, rules=self.rules)

    def goal(self) -> Goal:
        """The goal-shaped view the checks read their limits from: this policy's constraints and autonomy."""
        autonomy = Autonomy(**self.autonomy.model_dump(exclude={"ask_in_client"}))
        return Goal(
            id="server-policy",
            objective=f"server policy {self.name or 'unnamed'}",
            kpi=KPI(metric=Metric.REVENUE, target=0, horizon_days=1),
            constraints=self.constraints,
            autonomy=autonomy,
        )

    def frozen_at(self, at: datetime) -> FreezeWindow | None:
        """The freeze window covering `at`, if any."""
        return next((w for w in self.freeze if w.covers(at)), None)


def parse_server_policy(
    data: object, *, source: str = "server policy", registry: CheckRegistry | None = None
) -> ServerPolicy:
    """Validate parsed YAML as a server policy: shape, every rule's check and parameters, no run checks or clamps."""
    try:
        policy = ServerPolicy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {shape_problem(exc.errors(include_url=False)[0], data)}") from exc
    for rule in policy.rules:
        if rule.check in RUN_CHECKS:
            raise PolicyError(
                f"{source}: rule {rule.id!r}: check {rule.check!r} cannot run at a server: {RUN_CHECKS[rule.check]}"
            )
        if rule.on_violation is OnViolation.CLAMP:
            raise PolicyError(
                f"{source}: rule {rule.id!r}: on_violation clamp: a server does not rewrite a caller's "
                "arguments; use deny or require_approval"
            )
    try:
        compile_policy(policy.as_policy(), registry)
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from exc
    return policy


def load_server_policy(path: Path, *, registry: CheckRegistry | None = None) -> ServerPolicy:
    """Read and fully validate a server policy file."""
    return parse_server_policy(read_policy_yaml(path, what="server policy"), source=str(path), registry=registry)


def default_server_policy(registry: CheckRegistry | None = None) -> ServerPolicy:
    """The shipped server policy: irreversible and compensable calls and large changes ask a person."""
    data, source = packaged_policy_yaml("server.yaml")
    return parse_server_policy(data, source=source, registry=registry)
