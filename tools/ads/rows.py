"""Table rows to public models (hidden simulator columns never leave here) and id lookups."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from cadencia.tools.ads.models import (
    Campaign,
    CampaignStatus,
    Claim,
    Creative,
    Experiment,
    ExperimentMetric,
    Objective,
    Platform,
)
from cadencia.tools.ads.tables import campaigns, experiments
from cadencia.tools.errors import NotFound


def campaign(row: Any) -> Campaign:
    return Campaign(
        id=row["id"],
        platform=Platform(row["platform"]),
        name=row["name"],
        status=CampaignStatus(row["status"]),
        objective=Objective(row["objective"]),
        currency=row["currency"],
        daily_budget_minor=row["daily_budget_minor"],
        sku=row["sku"],
        holdout_pct=row["holdout_pct"],
        created_on=date.fromisoformat(row["created_on"]),
    )


def creative(row: Any) -> Creative:
    return Creative(
        id=row["id"],
        campaign_id=row["campaign_id"],
        headline=row["headline"],
        body=row["body"],
        ai_generated=bool(row["ai_generated"]),
        claim_ids=json.loads(row["claim_ids"]),
        status=row["status"],
        created_on=date.fromisoformat(row["created_on"]),
    )


def claim(row: Any) -> Claim:
    return Claim(
        id=row["id"],
        text=row["text"],
        category=row["category"],
        language=row["language"],
        approved=bool(row["approved"]),
        skus=json.loads(row["skus"] or "[]"),
    )


def experiment(row: Any, today: date) -> Experiment:
    ends_on = date.fromisoformat(row["ends_on"])
    status = "completed" if row["status"] == "running" and ends_on < today else row["status"]
    return Experiment(
        id=row["id"],
        name=row["name"],
        campaign_a=row["campaign_a"],
        campaign_b=row["campaign_b"],
        metric=ExperimentMetric(row["metric"]),
        status=status,
        started_on=date.fromisoformat(row["started_on"]),
        ends_on=ends_on,
    )


def campaign_row(conn: Connection, campaign_id: str, field: str = "campaign_id", *, lock: bool = False) -> Any:
    """The campaign row; `lock=True` (write paths) holds it until commit."""
    stmt = select(campaigns).where(campaigns.c.id == campaign_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).mappings().first()
    if row is None:
        raise NotFound(f"{field}: no campaign {campaign_id!r}; call list_campaigns to see valid ids", field=field)
    return row


def experiment_row(conn: Connection, experiment_id: str) -> Any:
    row = conn.execute(select(experiments).where(experiments.c.id == experiment_id)).mappings().first()
    if row is None:
        raise NotFound(f"experiment_id: no experiment {experiment_id!r}; call list_experiments", field="experiment_id")
    return row
