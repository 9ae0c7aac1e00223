"""Segment rules as SQL: one WHERE clause over `contacts`, evaluated by the database (set-based)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, Connection, and_, select, true

from cadencia.tools.crm.models import SegmentRules
from cadencia.tools.crm.tables import contacts, segments
from cadencia.tools.errors import NotFound
from cadencia.tools.store.canonical import canonical_json


def rules_json(rules: SegmentRules) -> str:
    """Canonical JSON of the rules that are set, as stored in `segments.rules`."""
    return canonical_json(rules.model_dump(mode="json", exclude_none=True))


def rules_clause(rules: SegmentRules, day: date) -> ColumnElement[bool]:
    """The contacts matching every rule, as of `day` (date rules are relative to it)."""
    c = contacts.c
    conditions: list[ColumnElement[bool]] = []
    if rules.countries:
        conditions.append(c.country.in_(rules.countries))
    if rules.languages:
        conditions.append(c.language.in_(rules.languages))
    if rules.min_orders is not None:
        conditions.append(c.orders_count >= rules.min_orders)
    if rules.max_orders is not None:
        conditions.append(c.orders_count <= rules.max_orders)
    if rules.favorite_category is not None:
        conditions.append(c.favorite_category == rules.favorite_category.value)
    if rules.last_order_within_days is not None:
        since = day - timedelta(days=rules.last_order_within_days)
        conditions.append(and_(c.last_order_on.is_not(None), c.last_order_on >= since.isoformat()))
    if rules.last_order_before_days is not None:
        cutoff = day - timedelta(days=rules.last_order_before_days)
        conditions.append(and_(c.last_order_on.is_not(None), c.last_order_on < cutoff.isoformat()))
    if rules.min_lifetime_value_minor is not None:
        conditions.append(c.lifetime_value_minor >= rules.min_lifetime_value_minor)
    if rules.max_lifetime_value_minor is not None:
        conditions.append(c.lifetime_value_minor <= rules.max_lifetime_value_minor)
    return and_(true(), *conditions)


def segment_rules(conn: Connection, segment_id: str) -> SegmentRules:
    """The stored rules of a segment, or NotFound naming the id."""
    text = conn.execute(select(segments.c.rules).where(segments.c.id == segment_id)).scalar()
    if text is None:
        raise NotFound(f"No segment {segment_id!r}; call list_segments", field="segment_id")
    return SegmentRules.model_validate_json(text)
