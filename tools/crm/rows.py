"""Rows of the CRM tables as models; contact PII is masked here unless the caller may see it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from cadencia.tools.crm.masking import mask_email, mask_last_name, mask_phone, redact_text
from cadencia.tools.crm.models import (
    Channel,
    ChannelConsents,
    ConsentRecord,
    ConsentStatus,
    ContactSummary,
    Exclusions,
    Message,
    Segment,
    SegmentRules,
    Send,
    SendStatus,
)
from cadencia.tools.crm.tables import consents
from cadencia.tools.inventory.models import Category


def day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def consent_records(conn: Connection, contact_ids: list[str]) -> dict[str, list[ConsentRecord]]:
    """Consent rows of these contacts, by contact id, in channel order."""
    out: dict[str, list[ConsentRecord]] = {cid: [] for cid in contact_ids}
    rows = conn.execute(
        select(consents).where(consents.c.contact_id.in_(contact_ids)).order_by(consents.c.contact_id)
    ).mappings()
    for r in rows:
        out[r["contact_id"]].append(
            ConsentRecord(
                channel=Channel(r["channel"]),
                status=ConsentStatus(r["status"]),
                source=r["source"],
                legal_basis=r["legal_basis"],
                updated_on=date.fromisoformat(r["updated_on"]),
            )
        )
    for records in out.values():
        records.sort(key=lambda rec: list(Channel).index(rec.channel))
    return out


def channel_consents(records: list[ConsentRecord]) -> ChannelConsents:
    status = {rec.channel: rec.status for rec in records}
    return ChannelConsents(**{ch.value: status.get(ch, ConsentStatus.NONE) for ch in Channel})


def contact_fields(row: Any, records: list[ConsentRecord], *, reveal_pii: bool, currency: str) -> dict[str, Any]:
    """The ContactSummary fields of a contact row, masked unless `reveal_pii`."""
    return {
        "id": row["id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"] if reveal_pii else mask_last_name(row["last_name"]),
        "email": row["email"] if reveal_pii else mask_email(row["email"]),
        "phone": row["phone"] if reveal_pii else mask_phone(row["phone"]),
        "pii_masked": not reveal_pii,
        "country": row["country"],
        "language": row["language"],
        "orders_count": row["orders_count"],
        "lifetime_value_minor": row["lifetime_value_minor"],
        "currency": currency,
        "last_order_on": day(row["last_order_on"]),
        "favorite_category": Category(row["favorite_category"]) if row["favorite_category"] else None,
        "suppressed": bool(row["suppressed"]),
        "consent": channel_consents(records),
        "notes": row["notes"] if reveal_pii else redact_text(row["notes"]),
    }


def contact_summary(row: Any, records: list[ConsentRecord], *, reveal_pii: bool, currency: str) -> ContactSummary:
    return ContactSummary(**contact_fields(row, records, reveal_pii=reveal_pii, currency=currency))


def segment(row: Any) -> Segment:
    return Segment(
        id=row["id"],
        name=row["name"],
        rules=SegmentRules.model_validate_json(row["rules"]),
        created_on=date.fromisoformat(row["created_on"]),
    )


def message(row: Any) -> Message:
    return Message(
        id=row["id"],
        channel=Channel(row["channel"]),
        subject=row["subject"],
        body=row["body"],
        claim_ids=json.loads(row["claim_ids"]),
        ai_generated=bool(row["ai_generated"]),
        created_on=date.fromisoformat(row["created_on"]),
    )


def send(row: Any) -> Send:
    reasons = row["skip_reasons"]
    return Send(
        id=row["id"],
        message_id=row["message_id"],
        segment_id=row["segment_id"],
        channel=Channel(row["channel"]),
        status=SendStatus(row["status"]),
        scheduled_for=date.fromisoformat(row["scheduled_for"]),
        sent_on=day(row["sent_on"]),
        recipients=row["recipients"],
        skipped=row["skipped"],
        skipped_by_reason=Exclusions.model_validate_json(reasons) if reasons else None,
        failure_reason=row["failure_reason"],
    )
