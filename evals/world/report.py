"""What one simulated day did to the business, as the runner and the scorers see it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class DayReport(BaseModel):
    """One day's outcome; money in EUR cents, `revenue_minor` is what customers paid (after discounts)."""

    model_config = ConfigDict(frozen=True)

    day: date
    revenue_minor: int
    profit_minor: int
    """Net: gross profit minus ad spend, payment fees, holding and messaging costs."""
    spend_minor: dict[str, int]
    """Ad spend per platform (every platform with a campaign, 0 when nothing ran)."""
    units_sold: int
    lost_units: int
    stockouts: list[str]
    """Active SKUs with no sellable stock at the end of the day."""
    messages_delivered: int
    unsubscribes: int
    new_reviews: int
    gross_profit_minor: int | None = None
    """Revenue minus cost of goods sold: the `gross_profit` KPI's definition (the inventory sales report's); None in
    results written before it was recorded."""
    mean_stock_cover_days: float
    """Mean over active SKUs with demand of end-of-day sellable stock ÷ the day's expected demand (capped at 365)."""
