"""From sandbox rows to reviews models: the joined review query and the row converters."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Select, select

from cadencia.tools.crm.models import Channel
from cadencia.tools.reviews import text
from cadencia.tools.reviews.models import (
    Claim,
    CustomerText,
    FlagReason,
    Review,
    ReviewFlag,
    ReviewReply,
    ReviewRequest,
)
from cadencia.tools.reviews.tables import review_flags, review_replies, reviews


def review_select() -> Select[Any]:
    """Reviews with their reply and flag (outer joins); reply/flag columns are prefixed."""
    return (
        select(
            reviews,
            review_replies.c.review_id.label("reply_review_id"),
            review_replies.c.body.label("reply_body"),
            review_replies.c.claim_ids.label("reply_claim_ids"),
            review_replies.c.created_on.label("reply_created_on"),
            review_flags.c.reason.label("flag_reason"),
            review_flags.c.note.label("flag_note"),
            review_flags.c.flagged_on.label("flag_flagged_on"),
        )
        .outerjoin(review_replies, review_replies.c.review_id == reviews.c.id)
        .outerjoin(review_flags, review_flags.c.review_id == reviews.c.id)
    )


def full_text(row: Any) -> str:
    return f"{row['title']}. {row['body']}"


def to_reply(body: str, claim_ids: str, created_on: str) -> ReviewReply:
    return ReviewReply(body=body, claim_ids=json.loads(claim_ids), created_on=date.fromisoformat(created_on))


def to_flag(reason: str, note: str, flagged_on: str) -> ReviewFlag:
    return ReviewFlag(reason=FlagReason(reason), note=note, flagged_on=date.fromisoformat(flagged_on))


def to_review(row: Any) -> Review:
    """A review row from `review_select()`; customer text has PII masked and is framed as untrusted."""
    title, title_masked = text.mask_pii(row["title"])
    body, body_masked = text.mask_pii(row["body"])
    author, author_masked = text.mask_pii(row["author"])
    reply = None
    if row["reply_review_id"] is not None:
        reply = to_reply(row["reply_body"], row["reply_claim_ids"], row["reply_created_on"])
    flag = None
    if row["flag_reason"] is not None:
        flag = to_flag(row["flag_reason"], row["flag_note"], row["flag_flagged_on"])
    return Review(
        id=row["id"],
        sku=row["sku"],
        rating=row["rating"],
        language=row["language"],
        created_on=date.fromisoformat(row["created_on"]),
        verified_purchase=bool(row["verified_purchase"]),
        author=author,
        customer_text=CustomerText(title=title, body=body),
        personal_data_masked=title_masked or body_masked or author_masked,
        sentiment=text.sentiment(full_text(row)),
        themes=text.themes(full_text(row)),
        answered=reply is not None,
        reply=reply,
        flag=flag,
    )


def to_claim(row: Any) -> Claim:
    return Claim(
        id=row["id"],
        text=row["text"],
        category=row["category"],
        language=row["language"],
        approved=bool(row["approved"]),
        skus=json.loads(row["skus"] or "[]"),
    )


def to_request(row: Any) -> ReviewRequest:
    return ReviewRequest(
        id=row["id"],
        contact_id=row["contact_id"],
        sku=row["sku"],
        channel=Channel(row["channel"]),
        sent_on=date.fromisoformat(row["sent_on"]),
    )
