"""The reviews capability's contract: the sandbox and any vendor adapter implement it.

There is deliberately no method that creates, edits or deletes a customer review.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from cadencia.tools.crm.models import Channel
from cadencia.tools.paging import Page
from cadencia.tools.reviews.models import (
    Claim,
    FlagChange,
    FlagReason,
    ReplyResult,
    Review,
    ReviewRequest,
    ReviewRequestResult,
    ReviewSummary,
)
from cadencia.tools.undo import UndoResult


class ReviewsBackend(Protocol):
    async def list_reviews(
        self,
        *,
        sku: str | None,
        rating: int | None,
        min_rating: int | None,
        max_rating: int | None,
        since: date | None,
        unanswered: bool,
        language: str | None,
        flagged: bool | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Review]: ...

    async def get_review(self, *, review_id: str) -> Review: ...

    async def review_summary(self, *, sku: str | None, since: date | None) -> ReviewSummary: ...

    async def list_claims(
        self, *, approved_only: bool, sku: str | None, cursor: str | None, limit: int
    ) -> Page[Claim]: ...

    async def list_review_requests(
        self, *, sku: str | None, contact_id: str | None, since: date | None, cursor: str | None, limit: int
    ) -> Page[ReviewRequest]: ...

    async def reply_to_review(
        self, *, review_id: str, body: str, claim_ids: Sequence[str], idempotency_key: str | None
    ) -> ReplyResult: ...

    async def flag_review(
        self, *, review_id: str, reason: FlagReason, note: str, idempotency_key: str | None
    ) -> FlagChange: ...

    async def unflag_review(self, *, review_id: str, idempotency_key: str | None) -> FlagChange: ...

    async def request_reviews(
        self,
        *,
        sku: str,
        contact_ids: Sequence[str],
        channel: Channel,
        dry_run: bool,
        idempotency_key: str | None,
    ) -> ReviewRequestResult: ...

    async def undo(self, *, token: str, idempotency_key: str | None) -> UndoResult: ...
