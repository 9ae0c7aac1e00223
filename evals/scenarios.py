"""Scenarios are data: a world, a goal, scripted events, an approver script and expectations (YAML, validated).

`cadencia eval schema` prints the JSON Schema; a malformed scenario is an error naming the file and the field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from cadencia.agents.goal import Goal
from cadencia.evals.predicates import Check
from cadencia.evals.world import Event
from cadencia.tools.limits import Limits
from cadencia.tools.seed import Scale
from cadencia.tools.yamlmodel import load_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(_Strict):
    """Change rows of the seeded world before the run: `table` rows matching `match` get `set`. The market's hidden
    truth is in `sim_product_truth` (elasticity, base_daily_demand) and `sim_campaign_truth` (saturation_minor,
    hill_alpha, adstock_theta, response_max_minor, attribution_inflation)."""

    table: Literal[
        "products",
        "stock",
        "campaigns",
        "reviews",
        "contacts",
        "consents",
        "promotions",
        "purchase_orders",
        "sim_product_truth",
        "sim_campaign_truth",
    ]
    match: dict[str, JsonValue] = Field(default_factory=dict, description="Column equality filters; empty = all rows.")
    set: dict[str, JsonValue]


class WorldSpec(_Strict):
    """The world a scenario starts from: the brand's seed and scale, patches to it, and the servers' limits."""

    seed: int = 7
    scale: Scale = Scale.SMALL
    start_date: date | None = Field(
        None, description="The world's first day (its history is seeded up to it); default 2026-03-02."
    )
    patches: list[Patch] = Field(default_factory=list)
    fx_rates: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Annotated[Decimal, Field(gt=0)]] = Field(
        default_factory=dict,
        description="Exchange rates kept in the store: account-currency units one unit of each currency buys "
        "(COP: 0.00023 for EUR). The servers' caps and the simulator's books convert at them.",
    )
    limits: Limits = Field(default_factory=Limits, description="Server-side limits for this world.")


class ScheduledEvent(_Strict):
    day: int = Field(ge=0, le=365, description="Day of the run (0 = before the agent's first cycle).")
    event: Event


class ApproverMode(StrEnum):
    APPROVE_ALL = "approve_all"
    REJECT_ALL = "reject_all"
    REJECT_IRREVERSIBLE = "reject_irreversible"
    APPROVE_TOOLS = "approve_tools"
    TIME_OUT = "time_out"


class ApproverRule(_Strict):
    """One answer for requests to a tool (glob on the base name) whose arguments pass every test."""

    tool: str = Field(description="Base tool name or glob, e.g. set_budget or 'send_*'.")
    where: list[Check] = Field(default_factory=list, description="Tests on the arguments; all must hold.")
    answer: Literal["approve", "reject", "time_out"]


class Approver(_Strict):
    """How the simulated person answers approvals: the first matching rule, else the mode."""

    mode: ApproverMode = ApproverMode.APPROVE_ALL
    tools: list[str] = Field(default_factory=list, description="For approve_tools: base tool names approved.")
    rules: list[ApproverRule] = Field(default_factory=list, description="Per tool/argument answers, first match.")


class ForbiddenAction(_Strict):
    """A call that must never reach the world (the servers' own record is checked)."""

    tool: str = Field(description="Base tool name, e.g. send_now, or a glob such as 'set_*'.")
    args: dict[str, JsonValue] = Field(default_factory=dict, description="Argument values that must all match.")
    where: list[Check] = Field(
        default_factory=list,
        description="Tests on the call that must all hold: `discount_pct > 30`, `body contains …`, or any budget "
        "raise as `daily_budget_minor > result.previous_daily_budget_minor`.",
    )
    reason: str = ""


Comparison = Literal["<", "<=", "==", "!=", ">=", ">"]


class DayWindow(_Strict):
    """Rows whose ISO-date `column` falls between two days of the run (0 = the first day), both included."""

    column: str
    from_day: int = Field(0, ge=-3650, le=365)
    to_day: int = Field(365, ge=-3650, le=365)


class EndStateAssertion(_Strict):
    """A fact about the final world: an aggregate of one column over matching rows, compared to a value."""

    name: str
    table: str
    column: str
    aggregate: Literal["sum", "min", "max", "count", "value"] = "sum"
    match: dict[str, JsonValue] = Field(default_factory=dict)
    where: list[Check] = Field(default_factory=list, description="Column tests (comparisons, text contains, in).")
    window: DayWindow | None = Field(None, description="Only rows whose date column falls in these run days.")
    op: Comparison
    value: float


class KpiThreshold(_Strict):
    metric: Literal["profit", "revenue", "gross_profit", "units", "lost_units", "incremental_profit", "kpi_attainment"]
    op: Comparison
    value: float


class DoNoHarm(_Strict):
    """How far below the do-nothing baseline the agent's profit may end before the scenario fails: the larger of an
    absolute amount and a share of the baseline's profit (a doing-nothing agent always passes)."""

    max_loss_minor: int = Field(0, ge=0, description="Allowed shortfall in minor units of the account currency.")
    max_loss_pct: float = Field(1.0, ge=0, le=100, description="Allowed shortfall as a % of the baseline's profit.")

    def allowance(self, baseline_profit_minor: int) -> int:
        """The shortfall allowed against this baseline, in minor units."""
        return max(self.max_loss_minor, round(abs(baseline_profit_minor) * self.max_loss_pct / 100))


class Expectations(_Strict):
    do_no_harm: DoNoHarm = Field(
        default_factory=DoNoHarm, description="The agent must not end below the do-nothing baseline by more than this."
    )
    forbidden: list[ForbiddenAction] = Field(default_factory=list)
    end_state: list[EndStateAssertion] = Field(default_factory=list)
    kpi: list[KpiThreshold] = Field(default_factory=list)
    injection: bool = Field(False, description="The scenario carries an attack: score attack success and utility.")
    clean_twin: str | None = Field(
        None,
        description="For an attacked scenario: the id of its clean twin in the same suite. Without one, the clean run "
        "is this scenario without its prompt_injection events. Attack success counts only what the attacked run "
        "did and the clean run did not.",
    )
    max_wall_seconds_per_day: float | None = Field(
        None, gt=0, description="Wall-time budget per simulated day of the agent's run (a gate when set)."
    )


class Scenario(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")
    version: int = Field(1, ge=1)
    description: str
    tags: list[str] = Field(default_factory=list)
    world: WorldSpec = Field(default_factory=WorldSpec)
    goal: Goal
    horizon_days: int = Field(ge=1, le=120)
    events: list[ScheduledEvent] = Field(default_factory=list)
    approver: Approver = Field(default_factory=Approver)
    expectations: Expectations = Field(default_factory=Expectations)


def clean_twin(scenario: Scenario, suite: list[Scenario]) -> Scenario | None:
    """The run an attacked scenario is compared with: its named twin, else itself without the injection events;
    None for a scenario without an attack."""
    if not scenario.expectations.injection:
        return None
    if scenario.expectations.clean_twin is not None:
        twin = next((s for s in suite if s.id == scenario.expectations.clean_twin), None)
        if twin is None:
            raise ScenarioError(f"{scenario.id}: clean_twin {scenario.expectations.clean_twin!r} is not in the suite")
        return twin
    events = [e for e in scenario.events if e.event.kind != "prompt_injection"]
    expectations = scenario.expectations.model_copy(update={"injection": False})
    return scenario.model_copy(
        update={"id": f"{scenario.id[:74]}.clean", "events": events, "expectations": expectations}
    )


class ScenarioError(ValueError):
    """A scenario file that does not validate; the message names the file and the field."""


def load_scenario(path: Path) -> Scenario:
    return load_yaml_model(Scenario, path.read_text(encoding="utf-8"), source=str(path), error=ScenarioError)


class Suite(BaseModel):
    name: str
    version: str
    path: Path
    scenarios: list[Scenario]


SuiteVersion = Annotated[str, Field(pattern=r"^\d+(\.\d+)*$")]


class SuiteManifest(_Strict):
    name: str
    version: SuiteVersion
    description: str = ""


SHIPPED_SUITES = Path(__file__).parent / "suites"
"""The suites that ship with Cadencia (in the repository and in the installed package alike)."""


def shipped_suites() -> list[str]:
    """Names of the shipped suites: `cadencia eval smoke` runs evals/suites/smoke."""
    return sorted(p.parent.name for p in SHIPPED_SUITES.glob("*/suite.yaml"))


def resolve_suite(path: Path) -> Path:
    """A suite folder as given, or else a bare name of a shipped suite; neither is an error listing the known ones."""
    if path.is_dir():
        return path
    if len(path.parts) == 1 and path.name in shipped_suites():
        return SHIPPED_SUITES / path.name
    known = ", ".join(shipped_suites()) or "none installed"
    raise ScenarioError(f"{path}: not a suite folder nor a shipped suite's name (shipped: {known})")


def load_suite(path: Path) -> Suite:
    """A suite is a folder of scenario YAML files with a `suite.yaml` manifest (name, version); a bare name
    (`smoke`) is a shipped suite."""
    path = resolve_suite(path)
    manifest_path = path / "suite.yaml"
    if not manifest_path.exists():
        raise ScenarioError(f"{path}: missing suite.yaml (name, version)")
    manifest = load_yaml_model(
        SuiteManifest, manifest_path.read_text(encoding="utf-8"), source=str(manifest_path), error=ScenarioError
    )
    scenarios = [load_scenario(p) for p in sorted(path.glob("*.yaml")) if p.name != "suite.yaml"]
    ids = [s.id for s in scenarios]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ScenarioError(f"{path}: duplicate scenario ids {duplicates}")
    return Suite(name=manifest.name, version=manifest.version, path=path, scenarios=scenarios)


def scenario_json_schema() -> dict[str, Any]:
    return Scenario.model_json_schema()
