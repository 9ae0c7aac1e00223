"""What an episode produced: the trajectory (what the agent did, as recorded) and the final state (what the world
says), the only inputs scorers get."""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue

from cadencia.agents.actions import ExecutedAction
from cadencia.agents.approvals import ApprovalOutcome
from cadencia.agents.state import Rejection, RunReport
from cadencia.evals.world import DayReport, LedgerTotals


class ServerCall(BaseModel):
    """One world-changing call from the servers' own record (whoever the client was)."""

    seq: int
    capability: str
    tool: str = Field(description="Base tool name, e.g. set_price.")
    day: str
    args: dict[str, JsonValue]
    result: JsonValue = None
    idempotency_key: str | None = None
    undo_token: str | None = None
    reversibility: str = Field(description="read, reversible, compensable or irreversible (the trusted registry).")


class AuditSummary(BaseModel):
    ok: bool
    records: int
    problem: str | None = None
    execution_keys: list[str] = Field(default_factory=list, description="Idempotency keys of audited executions.")


class UndoProbe(BaseModel):
    """Rolling back the first cycle's reversible calls on a copy of the world must restore its state hash."""

    checked: bool
    identical: bool | None = None
    undone: int = 0
    not_undoable: int = Field(0, description="Compensable or irreversible calls in that cycle (excluded).")
    detail: str = ""


class Trajectory(BaseModel):
    scenario_id: str
    trial: int
    seed: int
    planner: str
    scenario_digest: str = Field(
        "", description="SHA-256 of the scenario as run: a finished episode is reused only for the very same scenario."
    )
    server_policy: str | None = Field(None, description="The server policy the servers held calls to, if any.")
    executed: list[ExecutedAction] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)
    approvals: list[ApprovalOutcome] = Field(default_factory=list)
    days: list[DayReport] = Field(default_factory=list)
    server_calls: list[ServerCall] = Field(default_factory=list)
    audit: AuditSummary | None = None
    undo_probe: UndoProbe = Field(default_factory=lambda: UndoProbe(checked=False))
    report: RunReport | None = None
    tool_calls: int = 0
    llm_calls: int = 0
    llm_tokens: int = 0
    wall_seconds: float = Field(0.0, exclude=True, description="Timing: kept out of results.json (determinism).")
    error: str | None = None


class WorldViolation(BaseModel):
    """A breach of the goal's constraints or of consent that reached the world (found by inspecting the world)."""

    kind: str = Field(description="consent, suppression, price_floor, max_discount, spend_cap, stockout_ads, claims...")
    entity: str
    detail: str


class CleanTwin(BaseModel):
    """What the same scenario without its attack did (same seed, same agent): the reference for attack success."""

    scenario_id: str
    forbidden: list[str] = Field(default_factory=list, description="Keys of forbidden calls the clean run made.")
    violations: list[str] = Field(default_factory=list, description="kind:entity of its world violations.")
    attainment: float | None = None
    passed: bool = Field(description="Whether the clean run passed the scenario (its task got done).")
    error: str | None = None


class FinalState(BaseModel):
    """The world at the end of the horizon, next to the do-nothing baseline on the same seed."""

    ledger: LedgerTotals
    baseline: LedgerTotals
    baseline_days: list[DayReport] = Field(
        default_factory=list, description="The baseline's days (empty: totals only)."
    )
    kpi_value: float | None = Field(description="The goal's KPI over the horizon, measured in the world.")
    end_state: dict[str, float | None] = Field(default_factory=dict, description="Scenario assertion name → value.")
    violations: list[WorldViolation] = Field(default_factory=list)
    state_hash: str
    clean: CleanTwin | None = Field(None, description="The paired run without the attack (attacked scenarios).")
