"""The crm capability's contract: the sandbox and any vendor adapter implement it.

Consent is only ever read: no method grants consent or lifts a suppression (those come from the contact).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from cadencia.tools.crm.models import (
    Channel,
    Contact,
    ContactSummary,
    Message,
    MessageChange,
    ReachEstimate,
    Segment,
    SegmentChange,
    SegmentRules,
    Send,
    SendChange,
    SendReport,
    SendStatus,
    SuppressionChange,
)
from cadencia.tools.inventory.models import Category
from cadencia.tools.paging import Page
from cadencia.tools.undo import UndoResult


class CrmBackend(Protocol):
    async def find_contacts(
        self,
        *,
        country: str | None,
        language: str | None,
        min_orders: int | None,
        favorite_category: Category | None,
        consent_channel: Channel | None,
        segment_id: str | None,
        query: str | None,
        reveal_pii: bool,
        cursor: str | None,
        limit: int,
    ) -> Page[ContactSummary]: ...

    async def get_contact(self, *, contact_id: str, reveal_pii: bool) -> Contact: ...

    async def suppress_contact(
        self, *, contact_id: str, reason: str, idempotency_key: str | None
    ) -> SuppressionChange: ...

    async def list_segments(self, *, cursor: str | None, limit: int) -> Page[Segment]: ...

    async def create_segment(self, *, name: str, rules: SegmentRules, idempotency_key: str | None) -> SegmentChange: ...

    async def estimate_segment(self, *, segment_id: str | None, rules: SegmentRules | None) -> ReachEstimate: ...

    async def draft_message(
        self,
        *,
        channel: Channel,
        subject: str | None,
        body: str,
        claim_ids: list[str],
        ai_generated: bool,
        idempotency_key: str | None,
    ) -> MessageChange: ...

    async def list_messages(self, *, channel: Channel | None, cursor: str | None, limit: int) -> Page[Message]: ...

    async def list_sends(self, *, status: SendStatus | None, cursor: str | None, limit: int) -> Page[Send]: ...

    async def schedule_send(
        self, *, message_id: str, segment_id: str, scheduled_for: date, idempotency_key: str | None
    ) -> SendChange: ...

    async def cancel_send(self, *, send_id: str, idempotency_key: str | None) -> SendChange: ...

    async def send_now(self, *, message_id: str, segment_id: str, idempotency_key: str | None) -> SendReport: ...

    async def undo(self, *, token: str, idempotency_key: str | None) -> UndoResult: ...
