"""A business goal the agent pursues: objective, KPI, constraints and how much it may do without asking."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.policy.goal_text import hands_off_ids
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.yamlmodel import load_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metric(StrEnum):
    REVENUE = "revenue"
    GROSS_PROFIT = "gross_profit"
    UNITS = "units"
    STOCK_COVER = "stock_cover"


class Channel(StrEnum):
    META = "meta"
    GOOGLE = "google"
    TIKTOK = "tiktok"
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"


class KPI(_Strict):
    metric: Metric
    target: float = Field(description="Target value over the horizon (minor units for money, days for cover).")
    horizon_days: int = Field(ge=1, le=365)
    skus: list[str] = Field(default_factory=list, description="Scope; empty means the whole catalog.")
    channels: list[Channel] = Field(default_factory=list, description="Scope; empty means every allowed channel.")


class Constraints(_Strict):
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    total_spend_cap_minor: int | None = Field(None, ge=0, description="Ad spend over the whole horizon.")
    daily_spend_cap_minor: int | None = Field(None, ge=0, description="Sum of active daily budgets, all platforms.")
    max_budget_change_pct: int = Field(30, ge=1, le=1000)
    max_discount_pct: int = Field(25, ge=0, le=95)
    min_margin_pct: int = Field(15, ge=0, le=95, description="Price may not go below cost × (1 + this/100).")
    allowed_channels: list[Channel] = Field(default_factory=lambda: list(Channel))
    stock_cover_floor_days: float = Field(7.0, ge=0, description="Never advertise or promote a SKU below this cover.")
    no_go_claims: list[str] = Field(default_factory=list, description="Phrases never to use in customer text.")
    hands_off: list[str] = Field(
        default_factory=list,
        description="Ids of objects someone else manages (campaigns, SKUs, segments...): the agent changes none.",
    )
    reply_within_days: float = Field(
        2.0, gt=0, le=30, description="Unhappy (1-2 star) reviews get a public answer within this many days."
    )


class Autonomy(_Strict):
    """What may run without a person's approval, and the run's blast-radius and compute budgets."""

    auto_approve: list[Reversibility] = Field(
        default_factory=lambda: [Reversibility.READ, Reversibility.REVERSIBLE],
        description="Reversibility classes that run without approval.",
    )
    auto_approve_tools: list[str] = Field(default_factory=list, description="Tools that never need approval.")
    always_approve_tools: list[str] = Field(default_factory=list, description="Tools that always need approval.")
    max_spend_moved_minor: int = Field(50_000, ge=0, description="Total absolute budget change per run.")
    max_contacts_messaged: int = Field(2_000, ge=0)
    max_actions: int = Field(40, ge=0, description="World-changing actions per run.")
    max_tool_calls: int = Field(400, ge=0)
    max_llm_calls: int = Field(60, ge=0)
    max_llm_tokens: int = Field(400_000, ge=0)
    approval_timeout_hours: float = Field(24.0, gt=0)


class Goal(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    objective: str = Field(min_length=3, max_length=2000)
    kpi: KPI
    constraints: Constraints = Constraints()
    autonomy: Autonomy = Autonomy()

    def hands_off_ids(self) -> frozenset[str]:
        """Objects the agent must leave alone: `constraints.hands_off` plus those the objective's words name."""
        return frozenset(self.constraints.hands_off) | frozenset(hands_off_ids(self.objective))

    @classmethod
    def from_yaml(cls, path: Path) -> Goal:
        """Load and validate; errors name the file and the field."""
        return cls.from_yaml_text(path.read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def from_yaml_text(cls, text: str, *, source: str = "goal") -> Goal:
        return load_yaml_model(cls, text, source=source, error=GoalError)


class GoalError(ValueError):
    """A goal file that does not validate."""
