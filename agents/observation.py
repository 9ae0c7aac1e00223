"""What the agent saw at the start of a cycle: the signals planners decide on (no raw PII).

Fields holding third-party text are marked untrusted (`UNTRUSTED_MARK`): planners that show an observation to a
model fence them (`agents/fence.py`).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from cadencia.tools.untrusted import UNTRUSTED_MARK


class StockSignal(BaseModel):
    sku: str
    name: str
    category: str
    price_minor: int
    list_price_minor: int
    cost_minor: int
    on_hand: int
    daily_demand: float
    days_of_cover: float | None
    reorder_point: float
    should_reorder: bool
    suggested_order_quantity: int
    lead_time_days: int
    incoming_units: int
    draft_orders: list[str] = Field(default_factory=list)
    promoted: bool = False


class CampaignSignal(BaseModel):
    """An ad campaign: `name` is untrusted (whoever created the campaign wrote it)."""

    id: str
    platform: str
    status: str
    currency: str
    daily_budget_minor: int
    sku: str | None
    name: str = Field("", json_schema_extra=UNTRUSTED_MARK)
    spend_minor: int
    roas: float | None
    marginal_roas: float | None
    marginal_quality: str
    relative_lift: float | None = None


class ReviewSignal(BaseModel):
    """A customer review: `title` and `body` are untrusted customer text."""

    id: str
    sku: str
    rating: int
    language: str
    title: str = Field(json_schema_extra=UNTRUSTED_MARK)
    body: str = Field(json_schema_extra=UNTRUSTED_MARK)
    themes: list[str] = Field(default_factory=list)


class SegmentSignal(BaseModel):
    id: str
    name: str
    size: int
    reach: dict[str, int] = Field(description="Eligible recipients per channel (consent, suppression, caps).")


class ClaimSignal(BaseModel):
    id: str
    text: str


class Observation(BaseModel):
    day: date | None
    kpi_value: float | None
    revenue_7d_minor: int = 0
    units_7d: int = 0
    gross_profit_7d_minor: int = 0
    lost_units_7d: int = 0
    stock: list[StockSignal] = Field(default_factory=list)
    campaigns: list[CampaignSignal] = Field(default_factory=list)
    negative_reviews: list[ReviewSignal] = Field(default_factory=list, description="Unanswered, 1-2 stars.")
    negative_backlog: int = Field(0, description="Unanswered, unflagged 1-2 star reviews in all (shown or not).")
    other_reviews: list[ReviewSignal] = Field(
        default_factory=list,
        description="Unanswered, unflagged, 3-5 stars, newest first: customer text in view that needs no reply.",
    )
    review_mean: float | None = None
    segments: list[SegmentSignal] = Field(default_factory=list)
    claims: list[ClaimSignal] = Field(default_factory=list, description="Approved claims only.")
    tool_calls: int = 0

    def headline(self) -> Observation:
        """The figures without the signal lists: what the graph keeps once the cycle is planned.

        The lists are the planner's input only; guards read executed actions and untrusted text (kept in state),
        and verify and report read the KPI. Dropping the lists after planning keeps every later checkpoint of the
        cycle small (they were most of each guard and act checkpoint).
        """
        return self.model_copy(
            update={
                "stock": [],
                "campaigns": [],
                "negative_reviews": [],
                "other_reviews": [],
                "segments": [],
                "claims": [],
            }
        )
