"""Reviews on the SQL sandbox store: the reference implementation of `ReviewsBackend`.

Customer reviews are read-only here: replies, flags and review requests live in their own tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from cadencia.tools.crm.eligibility import lock_deliveries
from cadencia.tools.crm.models import Channel, DeliveryKind
from cadencia.tools.crm.tables import deliveries
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound
from cadencia.tools.inventory.tables import products
from cadencia.tools.paging import Keyset, Page
from cadencia.tools.reviews import policy
from cadencia.tools.reviews.eligibility import describe_ineligible, eligibility
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
from cadencia.tools.reviews.policy import violation
from cadencia.tools.reviews.rows import review_select, to_claim, to_flag, to_reply, to_request, to_review
from cadencia.tools.reviews.summary import summarize
from cadencia.tools.reviews.tables import review_flags, review_replies, review_requests, reviews
from cadencia.tools.sandbox import SandboxCapability
from cadencia.tools.store.claims import claims
from cadencia.tools.store.mutation import Mutation, fetch_row

MAX_NOTE_CHARS = 500

NEWEST_REVIEW_FIRST = Keyset((reviews.c.created_on, reviews.c.id), descending=True)
NEWEST_REQUEST_FIRST = Keyset((review_requests.c.sent_on, review_requests.c.id), descending=True)
BY_CLAIM = Keyset((claims.c.id,))


class SandboxReviews(SandboxCapability):
    """Customer reviews, public replies, moderation flags and review requests in the sandbox store."""

    capability = "reviews"

    # -- lookups ------------------------------------------------------------------------------------------------

    @staticmethod
    def _sku(conn: Connection, sku: str) -> None:
        if conn.execute(select(products.c.sku).where(products.c.sku == sku)).first() is None:
            raise NotFound(f"No SKU {sku!r}; call list_products (inventory) to see valid SKUs", field="sku")

    @staticmethod
    def _review_row(conn: Connection, review_id: str, *, lock: bool = False) -> Any:
        """The review with its reply and flag; `lock=True` (write paths) holds the review row until commit."""
        if lock:
            fetch_row(conn, reviews, {"id": review_id}, lock=True)
        row = conn.execute(review_select().where(reviews.c.id == review_id)).mappings().first()
        if row is None:
            raise NotFound(f"No review {review_id!r}; call list_reviews to see review ids", field="review_id")
        return row

    # -- reads --------------------------------------------------------------------------------------------------

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
        start = NEWEST_REVIEW_FIRST.decode(cursor)
        if rating is not None and (min_rating is not None or max_rating is not None):
            raise InvalidArgument("give either rating or min_rating/max_rating, not both", field="rating")
        if min_rating is not None and max_rating is not None and min_rating > max_rating:
            raise InvalidArgument(f"min_rating {min_rating} is above max_rating {max_rating}", field="min_rating")

        def run(conn: Connection) -> Page[Review]:
            stmt = review_select()
            if sku is not None:
                self._sku(conn, sku)
                stmt = stmt.where(reviews.c.sku == sku)
            if rating is not None:
                stmt = stmt.where(reviews.c.rating == rating)
            if min_rating is not None:
                stmt = stmt.where(reviews.c.rating >= min_rating)
            if max_rating is not None:
                stmt = stmt.where(reviews.c.rating <= max_rating)
            if since is not None:
                stmt = stmt.where(reviews.c.created_on >= since.isoformat())
            if unanswered:
                stmt = stmt.where(review_replies.c.review_id.is_(None))
            if language is not None:
                stmt = stmt.where(reviews.c.language == language)
            if flagged is not None:
                flag_key = review_flags.c.review_id
                stmt = stmt.where(flag_key.is_not(None) if flagged else flag_key.is_(None))
            total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
            ordered = stmt.order_by(*NEWEST_REVIEW_FIRST.order_by())
            if start is not None:
                ordered = ordered.where(NEWEST_REVIEW_FIRST.after(start))
            rows = conn.execute(ordered.limit(limit + 1)).mappings().all()
            return Page[Review](
                items=[to_review(r) for r in rows[:limit]],
                next_cursor=NEWEST_REVIEW_FIRST.next(rows, limit),
                total=total,
            )

        return await self._read(run)

    async def get_review(self, *, review_id: str) -> Review:
        return await self._read(lambda conn: to_review(self._review_row(conn, review_id)))

    async def review_summary(self, *, sku: str | None = None, since: date | None = None) -> ReviewSummary:
        def run(conn: Connection) -> ReviewSummary:
            if sku is not None:
                self._sku(conn, sku)
            return summarize(conn, sku=sku, since=since)

        return await self._read(run)

    async def list_claims(
        self, *, approved_only: bool = True, sku: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Claim]:
        start = BY_CLAIM.decode(cursor)

        def run(conn: Connection) -> Page[Claim]:
            stmt = select(claims).order_by(*BY_CLAIM.order_by())
            if approved_only:
                stmt = stmt.where(claims.c.approved.is_(True))
            rows = [to_claim(r) for r in conn.execute(stmt).mappings()]
            if sku is not None:
                self._sku(conn, sku)
                rows = [c for c in rows if not c.skus or sku in c.skus]
            page = [c for c in rows if start is None or (c.id,) > start][: limit + 1]
            return Page[Claim](
                items=page[:limit], next_cursor=BY_CLAIM.next([{"id": c.id} for c in page], limit), total=len(rows)
            )

        return await self._read(run)

    async def list_review_requests(
        self,
        *,
        sku: str | None = None,
        contact_id: str | None = None,
        since: date | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[ReviewRequest]:
        start = NEWEST_REQUEST_FIRST.decode(cursor)

        def run(conn: Connection) -> Page[ReviewRequest]:
            stmt = select(review_requests)
            if sku is not None:
                self._sku(conn, sku)
                stmt = stmt.where(review_requests.c.sku == sku)
            if contact_id is not None:
                stmt = stmt.where(review_requests.c.contact_id == contact_id)
            if since is not None:
                stmt = stmt.where(review_requests.c.sent_on >= since.isoformat())
            ordered = stmt.order_by(*NEWEST_REQUEST_FIRST.order_by())
            if start is not None:
                ordered = ordered.where(NEWEST_REQUEST_FIRST.after(start))
            rows = conn.execute(ordered.limit(limit + 1)).mappings().all()
            return Page[ReviewRequest](
                items=[to_request(r) for r in rows[:limit]], next_cursor=NEWEST_REQUEST_FIRST.next(rows, limit)
            )

        return await self._read(run)

    # -- writes -------------------------------------------------------------------------------------------------

    async def reply_to_review(
        self, *, review_id: str, body: str, claim_ids: Sequence[str] = (), idempotency_key: str | None = None
    ) -> ReplyResult:
        cited = list(claim_ids)

        def apply(m: Mutation) -> ReplyResult:
            row = self._review_row(m.conn, review_id, lock=True)
            if row["reply_review_id"] is not None:
                raise Conflict(
                    f"rule one_reply_per_review: review {review_id} already has a reply (one public reply per review); "
                    "read it with get_review",
                    field="review_id",
                    rule="one_reply_per_review",
                )
            if row["flag_reason"] is not None:
                raise violation(
                    "flagged_review",
                    f"review {review_id} is flagged as {row['flag_reason']}; resolve the flag (unflag_review) "
                    "before replying publicly",
                    field="review_id",
                )
            policy.check_reply_body(body)
            library = {r["id"]: r for r in m.conn.execute(select(claims)).mappings()}
            policy.check_reply_claims(body, cited, row["sku"], library)
            values = {
                "review_id": review_id,
                "body": body.strip(),
                "claim_ids": json.dumps(cited),
                "created_on": m.today.isoformat(),
            }
            try:
                created = m.insert(review_replies, values)
            except IntegrityError as exc:  # a concurrent call replied first (PostgreSQL, several replicas)
                raise Conflict(
                    f"rule one_reply_per_review: review {review_id} was answered by a concurrent call",
                    field="review_id",
                    rule="one_reply_per_review",
                ) from exc
            reply = to_reply(created["body"], created["claim_ids"], created["created_on"])
            return ReplyResult(review_id=review_id, reply=reply, review=to_review(self._review_row(m.conn, review_id)))

        args = {"review_id": review_id, "body": body, "claim_ids": cited}
        return await self._write("reply_to_review", args, idempotency_key, apply, ReplyResult, reversible=False)

    async def flag_review(
        self, *, review_id: str, reason: FlagReason, note: str = "", idempotency_key: str | None = None
    ) -> FlagChange:
        reason = FlagReason(reason)

        def apply(m: Mutation) -> FlagChange:
            row = self._review_row(m.conn, review_id, lock=True)
            if len(note) > MAX_NOTE_CHARS:
                raise InvalidArgument(f"note is limited to {MAX_NOTE_CHARS} characters", field="note")
            if row["flag_reason"] is not None:
                raise Conflict(
                    f"review {review_id} is already flagged as {row['flag_reason']}; call unflag_review first "
                    "to change the reason",
                    field="review_id",
                )
            values = {"review_id": review_id, "reason": reason.value, "note": note, "flagged_on": m.today.isoformat()}
            try:
                created = m.insert(review_flags, values)
            except IntegrityError as exc:  # a concurrent call flagged it first
                raise Conflict(f"review {review_id} was flagged by a concurrent call", field="review_id") from exc
            flag = to_flag(created["reason"], created["note"], created["flagged_on"])
            return FlagChange(review_id=review_id, flag=flag, previous=None)

        args = {"review_id": review_id, "reason": reason.value, "note": note}
        return await self._write("flag_review", args, idempotency_key, apply, FlagChange, reversible=True)

    async def unflag_review(self, *, review_id: str, idempotency_key: str | None = None) -> FlagChange:
        def apply(m: Mutation) -> FlagChange:
            self._review_row(m.conn, review_id, lock=True)
            if m.row(review_flags, review_id=review_id) is None:
                raise Conflict(f"review {review_id} is not flagged", field="review_id")
            before = m.delete(review_flags, {"review_id": review_id})
            previous = to_flag(before["reason"], before["note"], before["flagged_on"])
            return FlagChange(review_id=review_id, flag=None, previous=previous)

        args = {"review_id": review_id}
        return await self._write("unflag_review", args, idempotency_key, apply, FlagChange, reversible=True)

    async def request_reviews(
        self,
        *,
        sku: str,
        contact_ids: Sequence[str],
        channel: Channel,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> ReviewRequestResult:
        """All-or-nothing: one ineligible contact refuses the whole call (a dry run reports instead of sending)."""
        channel = Channel(channel)
        ids = list(contact_ids)

        def check(conn: Connection) -> ReviewRequestResult:
            self._sku(conn, sku)
            today = self.store.today(conn)
            rows = eligibility(
                conn, today=today, limits=self.limits.messaging, sku=sku, channel=channel, contact_ids=ids
            )
            ok = sum(r.eligible for r in rows)
            return ReviewRequestResult(
                sku=sku,
                channel=channel,
                dry_run=True,
                eligible=ok,
                ineligible=len(rows) - ok,
                sent=0,
                contacts=rows,
                requests=[],
            )

        if dry_run:
            return await self._read(check)

        def apply(m: Mutation) -> ReviewRequestResult:
            lock_deliveries(m.conn)  # same lock as CRM sends: caps and cooldown are checked and used atomically
            report = check(m.conn)
            if report.ineligible:
                raise violation(
                    "review_request_eligibility",
                    f"{report.ineligible} of {len(ids)} contacts may not be asked for a review by {channel.value}, "
                    f"so nothing was sent: {describe_ineligible(report.contacts)}. Remove them and call again "
                    "(dry_run=true or check_review_request_eligibility lists every contact's status)",
                    field="contact_ids",
                )
            sent = []
            for contact_id in ids:
                request_id = m.next_id("RR")
                row = m.insert(
                    review_requests,
                    {
                        "id": request_id,
                        "contact_id": contact_id,
                        "sku": sku,
                        "channel": channel.value,
                        "sent_on": m.today.isoformat(),
                    },
                )
                m.insert(
                    deliveries,
                    {
                        "send_id": request_id,
                        "contact_id": contact_id,
                        "channel": channel.value,
                        "sent_on": m.today.isoformat(),
                        "kind": DeliveryKind.REVIEW_REQUEST.value,
                    },
                )
                sent.append(to_request(row))
            return report.model_copy(update={"dry_run": False, "sent": len(sent), "requests": sent})

        args = {"sku": sku, "contact_ids": ids, "channel": channel.value}
        return await self._write("request_reviews", args, idempotency_key, apply, ReviewRequestResult, reversible=False)
