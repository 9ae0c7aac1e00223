"""Google Business Profile as the reviews backend (v4 reviews API; doc pages, unverified points: the api module).

Reviews are about the business location, not a product: they carry `sku` `location:<id>`, and filtering by SKU
answers NotSupported, as does filtering by language (Google does not report it; `language` is `und`). Other
filters are applied while paging Google's newest-first list, so a page may hold fewer than `limit` reviews. Replies
pass the same claims policy as the sandbox's (length, no PII, no incentives, no review manipulation, approved claims
scoped to the location) and are public, so irreversible; one reply per review (Google's PUT would overwrite, so the
current reply is read first — Google offers no conditional write, a reply made elsewhere in between is overwritten).
Reply edits are paced to about 10 per minute per profile. Moderation flags are internal: they live in Cadencia's
ledger (reversible). Review requests go to customers through the CRM backend: not supported here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from typing import Any

from aiolimiter import AsyncLimiter
from sqlalchemy import select

from cadencia.tools.errors import Conflict, InvalidArgument, NotFound
from cadencia.tools.paging import Page
from cadencia.tools.reviews import policy, text
from cadencia.tools.reviews.models import (
    Claim,
    CustomerText,
    FlagChange,
    FlagReason,
    ReplyResult,
    Review,
    ReviewFlag,
    ReviewReply,
    ReviewRequest,
    ReviewRequestResult,
    ReviewSummary,
)
from cadencia.tools.reviews.policy import violation
from cadencia.tools.reviews.sandbox import MAX_NOTE_CHARS, SandboxReviews
from cadencia.tools.reviews.summary import SummaryBuilder
from cadencia.tools.reviews.vendors.google_business_api import GoogleBusinessApi, GReview, day
from cadencia.tools.store.claims import claims
from cadencia.tools.undo import UndoResult
from cadencia.tools.vendors.ledger import ObjectChange, VendorLedger
from cadencia.tools.vendors.secrets import unsupported
from cadencia.tools.vendors.writes import VendorWrites, WritePlan, undo_with_vendor

VENDOR = "Google Business Profile"


class GoogleBusinessReviews:
    """`ReviewsBackend` over the reviews of one Google Business Profile location."""

    vendor = VENDOR

    def __init__(
        self,
        api: GoogleBusinessApi,
        writes: VendorWrites,
        *,
        location_id: str,
        today: Callable[[], date],
        edits_per_minute: float = 10,
    ) -> None:
        self._api, self._writes, self._today = api, writes, today
        self.location = f"location:{location_id}"
        self.edits = AsyncLimiter(edits_per_minute, 60)
        """Reply edits per profile (Google asks for about 10 per minute)."""

    @property
    def _ledger(self) -> VendorLedger:
        return self._writes.ledger

    def _review(self, raw: GReview) -> Review:
        author = "Anonymous" if raw.reviewer.is_anonymous else raw.reviewer.display_name
        author, author_masked = text.mask_pii(author)
        body, body_masked = text.mask_pii(raw.comment)
        reply = None
        if raw.review_reply is not None:
            ours = self._ledger.object("reply", raw.review_id) or {}
            cited = ours.get("claim_ids", []) if ours.get("body") == raw.review_reply.comment else []
            created = day(raw.review_reply.update_time) if raw.review_reply.update_time else raw.created_on
            reply = ReviewReply(body=raw.review_reply.comment, claim_ids=cited, created_on=created)
        flag = self._ledger.object("flag", raw.review_id)
        return Review(
            id=raw.review_id,
            sku=self.location,
            rating=raw.stars,
            language="und",
            created_on=raw.created_on,
            verified_purchase=False,
            author=author,
            customer_text=CustomerText(title="", body=body),
            personal_data_masked=author_masked or body_masked,
            sentiment=text.sentiment(raw.comment),
            themes=text.themes(raw.comment),
            answered=reply is not None,
            reply=reply,
            flag=ReviewFlag.model_validate(flag) if flag else None,
        )

    async def _every(self) -> AsyncIterator[GReview]:
        token: str | None = None
        while True:
            page = await self._api.page(token)
            for raw in page.reviews:
                yield raw
            if not (token := page.next_page_token):
                return

    async def _raw(self, review_id: str) -> GReview:
        try:
            return await self._api.review(review_id)
        except NotFound:
            raise NotFound(f"No review {review_id!r}; call list_reviews to see review ids", field="review_id") from None

    # -- reads ---------------------------------------------------------------------------------------------------

    async def list_reviews(
        self,
        *,
        sku: str | None = None,
        rating: int | None = None,
        min_rating: int | None = None,
        max_rating: int | None = None,
        since: date | None = None,
        unanswered: bool = False,
        language: str | None = None,
        flagged: bool | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[Review]:
        if sku is not None:
            raise unsupported(VENDOR, "list_reviews", "filtering by sku (Google reviews are about the location)")
        if language is not None:
            raise unsupported(VENDOR, "list_reviews", "filtering by language (Google does not report it)")
        if rating is not None and (min_rating is not None or max_rating is not None):
            raise InvalidArgument("give either rating or min_rating/max_rating, not both", field="rating")

        def keep(r: Review) -> bool:
            return (
                (rating is None or r.rating == rating)
                and (min_rating is None or r.rating >= min_rating)
                and (max_rating is None or r.rating <= max_rating)
                and (since is None or r.created_on >= since)
                and (not unanswered or not r.answered)
                and (flagged is None or (r.flag is not None) == flagged)
            )

        token, skip = _decode(cursor)
        items: list[Review] = []
        filtered = any(v is not None for v in (rating, min_rating, max_rating, since, flagged)) or unanswered
        while True:
            page = await self._api.page(token)
            for index, raw in enumerate(page.reviews[skip:], start=skip):
                if len(items) == limit:
                    return Page(items=items, next_cursor=_encode(token, index), total=None if filtered else page.total)
                review = self._review(raw)
                if keep(review):
                    items.append(review)
            if not page.next_page_token:
                return Page(items=items, total=None if filtered else page.total)
            token, skip = page.next_page_token, 0

    async def get_review(self, *, review_id: str) -> Review:
        return self._review(await self._raw(review_id))

    async def review_summary(self, *, sku: str | None = None, since: date | None = None) -> ReviewSummary:
        """Computed over every review of the location (all pages), the sandbox's way."""
        if sku is not None:
            raise unsupported(VENDOR, "review_summary", "per-sku summaries (Google reviews are about the location)")
        builder = SummaryBuilder()
        async for raw in self._every():
            if since is None or raw.created_on >= since:
                flagged = self._ledger.object("flag", raw.review_id) is not None
                replied = raw.review_reply is not None
                builder.add(
                    review_id=raw.review_id, rating=raw.stars, replied=replied, flagged=flagged, content=raw.comment
                )
        return builder.result(sku=None, since=since)

    async def list_claims(
        self, *, approved_only: bool = True, sku: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Claim]:
        """The claims library is Cadencia's own (local store); replies here may cite brand-wide claims only."""
        library = SandboxReviews(self._ledger.store)
        return await library.list_claims(approved_only=approved_only, sku=sku, cursor=cursor, limit=limit)

    async def list_review_requests(self, **_: Any) -> Page[ReviewRequest]:
        raise unsupported(VENDOR, "list_review_requests", "review requests go out through the CRM backend")

    async def request_reviews(self, **_: Any) -> ReviewRequestResult:
        raise unsupported(VENDOR, "request_reviews", "Google has no API to ask customers for reviews")

    # -- writes ----------------------------------------------------------------------------------------------------

    async def reply_to_review(
        self, *, review_id: str, body: str, claim_ids: Sequence[str] = (), idempotency_key: str | None = None
    ) -> ReplyResult:
        cited = list(claim_ids)

        async def plan() -> WritePlan[ReplyResult]:
            raw = await self._raw(review_id)
            if raw.review_reply is not None:
                raise Conflict(
                    f"rule one_reply_per_review: review {review_id} already has a reply (one public reply per "
                    "review); read it with get_review",
                    field="review_id",
                    rule="one_reply_per_review",
                )
            flag = self._ledger.object("flag", review_id)
            if flag is not None:
                raise violation(
                    "flagged_review",
                    f"review {review_id} is flagged as {flag['reason']}; resolve the flag (unflag_review) before "
                    "replying publicly",
                    field="review_id",
                )
            policy.check_reply_body(body)
            with self._ledger.store.reading() as conn:
                library = {r["id"]: r for r in conn.execute(select(claims)).mappings()}
            policy.check_reply_claims(body, cited, self.location, library)
            reply = ReviewReply(body=body.strip(), claim_ids=cited, created_on=self._today())
            review = self._review(raw).model_copy(update={"answered": True, "reply": reply})
            state = {"body": reply.body, "claim_ids": cited}

            async def send() -> None:
                async with self.edits:
                    await self._api.put_reply(review_id, reply.body)

            return WritePlan(
                result=ReplyResult(review_id=review_id, reply=reply, review=review),
                changes=[ObjectChange(kind="reply", object_id=review_id, before=None, after=state)],
                effect=f"public reply on Google review {review_id} ({len(reply.body)} characters)",
                send=send,
                reversible=False,
            )

        args = {"review_id": review_id, "body": body, "claim_ids": cited}
        return await self._writes.run(
            tool="reply_to_review", args=args, key=idempotency_key, result_type=ReplyResult, plan=plan
        )

    async def flag_review(
        self, *, review_id: str, reason: FlagReason, note: str = "", idempotency_key: str | None = None
    ) -> FlagChange:
        reason = FlagReason(reason)

        async def plan() -> WritePlan[FlagChange]:
            await self._raw(review_id)
            if len(note) > MAX_NOTE_CHARS:
                raise InvalidArgument(f"note is limited to {MAX_NOTE_CHARS} characters", field="note")
            current = self._ledger.object("flag", review_id)
            if current is not None:
                raise Conflict(
                    f"review {review_id} is already flagged as {current['reason']}; call unflag_review first "
                    "to change the reason",
                    field="review_id",
                )
            flag = ReviewFlag(reason=reason, note=note, flagged_on=self._today())
            return WritePlan(
                result=FlagChange(review_id=review_id, flag=flag, previous=None),
                changes=[
                    ObjectChange(kind="flag", object_id=review_id, before=None, after=flag.model_dump(mode="json"))
                ],
                effect=f"internal flag {reason.value} on review {review_id}",
                send=_nothing,
                local=True,
            )

        args = {"review_id": review_id, "reason": reason.value, "note": note}
        return await self._writes.run(
            tool="flag_review", args=args, key=idempotency_key, result_type=FlagChange, plan=plan
        )

    async def unflag_review(self, *, review_id: str, idempotency_key: str | None = None) -> FlagChange:
        async def plan() -> WritePlan[FlagChange]:
            await self._raw(review_id)
            current = self._ledger.object("flag", review_id)
            if current is None:
                raise Conflict(f"review {review_id} is not flagged", field="review_id")
            return WritePlan(
                result=FlagChange(review_id=review_id, flag=None, previous=ReviewFlag.model_validate(current)),
                changes=[ObjectChange(kind="flag", object_id=review_id, before=current, after=None)],
                effect=f"remove the internal flag of review {review_id}",
                send=_nothing,
                local=True,
            )

        return await self._writes.run(
            tool="unflag_review", args={"review_id": review_id}, key=idempotency_key, result_type=FlagChange, plan=plan
        )

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        """Only flags are reversible here (they live in the ledger); a public reply is not."""
        return await undo_with_vendor(
            self._writes, token=token, key=idempotency_key, compensate=_local, local_kinds=frozenset({"flag"})
        )


async def _nothing() -> None:
    return None


async def _local(_change: ObjectChange, _key: str) -> None:
    return None


def _encode(token: str | None, index: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([token, index]).encode()).decode()


def _decode(cursor: str | None) -> tuple[str | None, int]:
    if not cursor:
        return None, 0
    try:
        token, index = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("cursor is not one this server issued; omit it for page 1", field="cursor") from exc
    if not isinstance(index, int) or index < 0:
        raise InvalidArgument("cursor is not one this server issued; omit it for page 1", field="cursor")
    return token, index
