"""CRM on the SQL sandbox store: the reference implementation of `CrmBackend`."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Connection, exists, func, or_, select

from cadencia.tools import progress
from cadencia.tools.crm import lookups, rows
from cadencia.tools.crm.content import check_claims, check_no_pii, check_shape
from cadencia.tools.crm.dispatch import deliver, reach_for
from cadencia.tools.crm.eligibility import audience_problem, channel_reach, contact_eligibility
from cadencia.tools.crm.masking import redact_text
from cadencia.tools.crm.models import (
    Channel,
    ConsentStatus,
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
from cadencia.tools.crm.segments import rules_clause, rules_json, segment_rules
from cadencia.tools.crm.tables import consents, contacts, deliveries, messages, segments, sends
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.inventory.models import Category
from cadencia.tools.paging import Keyset, Page
from cadencia.tools.sandbox import SandboxCapability
from cadencia.tools.store.mutation import Mutation, RowChange
from cadencia.tools.undo import UndoResult, describe_changes

SEGMENT_NAMES_LOCK = "crm.segment_names"

MAX_SCHEDULE_AHEAD_DAYS = 365

BY_CONTACT = Keyset((contacts.c.id,))
BY_SEGMENT = Keyset((segments.c.id,))
BY_MESSAGE = Keyset((messages.c.id,))
BY_SEND = Keyset((sends.c.id,))


class SandboxCrm(SandboxCapability):
    """Contacts, consent, segments, messages and sends in the sandbox store."""

    capability = "crm"

    def _currency(self, conn: Connection) -> str:
        return self.store.get_world("currency", conn) or "EUR"

    # -- contacts -----------------------------------------------------------------------------------------------

    async def find_contacts(
        self,
        *,
        country: str | None = None,
        language: str | None = None,
        min_orders: int | None = None,
        favorite_category: Category | None = None,
        consent_channel: Channel | None = None,
        segment_id: str | None = None,
        query: str | None = None,
        reveal_pii: bool = False,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[ContactSummary]:
        start = BY_CONTACT.decode(cursor)

        def run(conn: Connection) -> Page[ContactSummary]:
            c = contacts.c
            where: list[ColumnElement[bool]] = []
            if (after := BY_CONTACT.after(start)) is not None:
                where.append(after)
            if country is not None:
                where.append(c.country == country)
            if language is not None:
                where.append(c.language == language)
            if min_orders is not None:
                where.append(c.orders_count >= min_orders)
            if favorite_category is not None:
                where.append(c.favorite_category == favorite_category.value)
            if consent_channel is not None:
                where.append(
                    exists().where(
                        consents.c.contact_id == c.id,
                        consents.c.channel == consent_channel.value,
                        consents.c.status == ConsentStatus.GRANTED.value,
                    )
                )
            if segment_id is not None:
                where.append(rules_clause(segment_rules(conn, segment_id), self.store.today(conn)))
            if query:
                # Only what the caller may see is searchable: masked callers cannot probe last names or emails.
                text = query.lower()
                name = c.first_name + " " + c.last_name if reveal_pii else c.first_name
                matches = [func.lower(name).contains(text, autoescape=True)]
                if reveal_pii:
                    matches.append(func.lower(c.email).contains(text, autoescape=True))
                where.append(or_(c.id == query, *matches))
            stmt = select(contacts).where(*where).order_by(*BY_CONTACT.order_by()).limit(limit + 1)
            got = conn.execute(stmt).mappings().all()
            found = got[:limit]
            consent = rows.consent_records(conn, [r["id"] for r in found])
            currency = self._currency(conn)
            items = [rows.contact_summary(r, consent[r["id"]], reveal_pii=reveal_pii, currency=currency) for r in found]
            return Page[ContactSummary](items=items, next_cursor=BY_CONTACT.next(got, limit))

        return await self._read(run)

    async def get_contact(self, *, contact_id: str, reveal_pii: bool = False) -> Contact:
        def run(conn: Connection) -> Contact:
            row = lookups.contact_row(conn, contact_id)
            today = self.store.today(conn)
            records = rows.consent_records(conn, [contact_id])[contact_id]
            lim = self.limits.messaging
            reason_text = row["suppressed_reason"]
            return Contact(
                **rows.contact_fields(row, records, reveal_pii=reveal_pii, currency=self._currency(conn)),
                created_on=date.fromisoformat(row["created_on"]),
                suppressed_reason=reason_text if reveal_pii or reason_text is None else redact_text(reason_text),
                suppressed_on=rows.day(row["suppressed_on"]),
                consents=records,
                frequency_window_days=lim.frequency_window_days,
                channels=contact_eligibility(conn, contact_id, today, lim),
            )

        return await self._read(run)

    async def suppress_contact(
        self, *, contact_id: str, reason: str, idempotency_key: str | None = None
    ) -> SuppressionChange:
        """Irreversible by our tools: only the contact can opt back in, so no undo token is issued."""

        def apply(m: Mutation) -> SuppressionChange:
            row = lookups.contact_row(m.conn, contact_id, lock=True)
            if row["suppressed"]:
                return SuppressionChange(
                    contact_id=contact_id, previous_suppressed=True, suppressed=True, reason=row["suppressed_reason"]
                )
            m.update(
                contacts,
                {"id": contact_id},
                {"suppressed": True, "suppressed_reason": reason, "suppressed_on": m.today.isoformat()},
            )
            return SuppressionChange(contact_id=contact_id, previous_suppressed=False, suppressed=True, reason=reason)

        args = {"contact_id": contact_id, "reason": reason}
        return await self._write("suppress_contact", args, idempotency_key, apply, SuppressionChange, reversible=False)

    # -- segments -----------------------------------------------------------------------------------------------

    async def list_segments(self, *, cursor: str | None = None, limit: int = 20) -> Page[Segment]:
        start = BY_SEGMENT.decode(cursor)

        def run(conn: Connection) -> Page[Segment]:
            stmt = select(segments).order_by(*BY_SEGMENT.order_by())
            if start is not None:
                stmt = stmt.where(BY_SEGMENT.after(start))
            got = conn.execute(stmt.limit(limit + 1)).mappings().all()
            return Page[Segment](items=[rows.segment(r) for r in got[:limit]], next_cursor=BY_SEGMENT.next(got, limit))

        return await self._read(run)

    async def create_segment(
        self, *, name: str, rules: SegmentRules, idempotency_key: str | None = None
    ) -> SegmentChange:
        def apply(m: Mutation) -> SegmentChange:
            m.serialize(SEGMENT_NAMES_LOCK)
            same = m.conn.execute(select(segments.c.id).where(func.lower(segments.c.name) == name.lower())).scalar()
            if same is not None:
                raise Conflict(f"segment {same} is already named {name!r}; reuse it or pick another name", field="name")
            created = m.insert(
                segments,
                {"id": m.next_id("SEG"), "name": name, "rules": rules_json(rules), "created_on": m.today.isoformat()},
            )
            return SegmentChange(segment=rows.segment(created), previous=None)

        args = {"name": name, "rules": rules.model_dump(mode="json", exclude_none=True)}
        return await self._write("create_segment", args, idempotency_key, apply, SegmentChange, reversible=True)

    async def estimate_segment(
        self, *, segment_id: str | None = None, rules: SegmentRules | None = None
    ) -> ReachEstimate:
        if (segment_id is None) == (rules is None):
            raise InvalidArgument("give exactly one of segment_id or rules", field="segment_id")

        def run(conn: Connection) -> ReachEstimate:
            today = self.store.today(conn)
            chosen = segment_rules(conn, segment_id) if segment_id is not None else rules
            assert chosen is not None
            where = rules_clause(chosen, today)
            lim = self.limits.messaging
            steps = 1 + len(Channel)
            progress.report(0, steps, "counting matching contacts")
            size = int(conn.execute(select(func.count()).select_from(contacts).where(where)).scalar() or 0)
            channels = []
            for done, channel in enumerate(Channel, start=1):
                progress.report(done, steps, f"consented reach on {channel.value}")
                channels.append(channel_reach(conn, where, channel, today, lim))
            progress.report(steps, steps, "estimate done")
            return ReachEstimate(
                segment_id=segment_id,
                rules=chosen,
                as_of=today,
                size=size,
                frequency_cap=lim.frequency_cap,
                frequency_window_days=lim.frequency_window_days,
                max_recipients_per_send=lim.max_recipients_per_send,
                channels=channels,
            )

        return await self._read(run)

    # -- messages -----------------------------------------------------------------------------------------------

    async def draft_message(
        self,
        *,
        channel: Channel,
        subject: str | None,
        body: str,
        claim_ids: list[str],
        ai_generated: bool,
        idempotency_key: str | None = None,
    ) -> MessageChange:
        def apply(m: Mutation) -> MessageChange:
            check_shape(channel, subject, body, self.limits.messaging)
            check_no_pii(subject, body)
            check_claims(m.conn, claim_ids, subject, body)
            created = m.insert(
                messages,
                {
                    "id": m.next_id("MSG"),
                    "channel": channel.value,
                    "subject": subject or "",
                    "body": body,
                    "claim_ids": json.dumps(sorted(set(claim_ids))),
                    "ai_generated": ai_generated,
                    "created_on": m.today.isoformat(),
                },
            )
            return MessageChange(message=rows.message(created), previous=None)

        args = {
            "channel": channel.value,
            "subject": subject,
            "body": body,
            "claim_ids": claim_ids,
            "ai_generated": ai_generated,
        }
        return await self._write("draft_message", args, idempotency_key, apply, MessageChange, reversible=True)

    async def list_messages(
        self, *, channel: Channel | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Message]:
        start = BY_MESSAGE.decode(cursor)

        def run(conn: Connection) -> Page[Message]:
            stmt = select(messages).order_by(*BY_MESSAGE.order_by())
            if start is not None:
                stmt = stmt.where(BY_MESSAGE.after(start))
            if channel is not None:
                stmt = stmt.where(messages.c.channel == channel.value)
            got = conn.execute(stmt.limit(limit + 1)).mappings().all()
            return Page[Message](items=[rows.message(r) for r in got[:limit]], next_cursor=BY_MESSAGE.next(got, limit))

        return await self._read(run)

    # -- sends --------------------------------------------------------------------------------------------------

    async def list_sends(
        self, *, status: SendStatus | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Send]:
        start = BY_SEND.decode(cursor)

        def run(conn: Connection) -> Page[Send]:
            stmt = select(sends).order_by(*BY_SEND.order_by())
            if start is not None:
                stmt = stmt.where(BY_SEND.after(start))
            if status is not None:
                stmt = stmt.where(sends.c.status == status.value)
            got = conn.execute(stmt.limit(limit + 1)).mappings().all()
            return Page[Send](items=[rows.send(r) for r in got[:limit]], next_cursor=BY_SEND.next(got, limit))

        return await self._read(run)

    async def schedule_send(
        self, *, message_id: str, segment_id: str, scheduled_for: date, idempotency_key: str | None = None
    ) -> SendChange:
        def apply(m: Mutation) -> SendChange:
            message = lookups.message_row(m.conn, message_id, lock=True)
            segment = lookups.segment_row(m.conn, segment_id, lock=True)
            if scheduled_for < m.today:
                raise InvalidArgument(
                    f"scheduled_for {scheduled_for} is in the past (today is {m.today})", field="scheduled_for"
                )
            if scheduled_for > m.today + timedelta(days=MAX_SCHEDULE_AHEAD_DAYS):
                raise InvalidArgument(
                    f"scheduled_for may be at most {MAX_SCHEDULE_AHEAD_DAYS} days ahead", field="scheduled_for"
                )
            channel = Channel(message["channel"])
            reach = reach_for(m.conn, segment_id, channel, m.today, self.limits.messaging)
            problem = audience_problem(reach, self.limits.messaging)
            if problem is not None:
                raise PolicyViolation(f"{problem}; nothing was scheduled", field="segment_id", rule="eligible_audience")
            created = m.insert(
                sends,
                {
                    "id": m.next_id("SND"),
                    "message_id": message_id,
                    "segment_id": segment_id,
                    "channel": channel.value,
                    "status": SendStatus.SCHEDULED.value,
                    "scheduled_for": scheduled_for.isoformat(),
                    "sent_on": None,
                    "recipients": 0,
                    "skipped": 0,
                },
            )
            lookups.mark_used(m, message, segment)
            return SendChange(send=rows.send(created), previous_status=None, estimate=reach)

        args = {"message_id": message_id, "segment_id": segment_id, "scheduled_for": scheduled_for.isoformat()}
        return await self._write("schedule_send", args, idempotency_key, apply, SendChange, reversible=True)

    async def cancel_send(self, *, send_id: str, idempotency_key: str | None = None) -> SendChange:
        def apply(m: Mutation) -> SendChange:
            row = m.row(sends, id=send_id)
            if row is None:
                raise NotFound(f"No send {send_id!r}; call list_sends", field="send_id")
            if row["status"] != SendStatus.SCHEDULED.value:
                raise Conflict(
                    f"send {send_id} is {row['status']}; only scheduled sends can be cancelled "
                    "(a delivered message cannot be recalled)",
                    field="send_id",
                )
            _, after = m.update(sends, {"id": send_id}, {"status": SendStatus.CANCELLED.value})
            return SendChange(send=rows.send(after), previous_status=SendStatus.SCHEDULED)

        return await self._write(
            "cancel_send", {"send_id": send_id}, idempotency_key, apply, SendChange, reversible=True
        )

    async def send_now(self, *, message_id: str, segment_id: str, idempotency_key: str | None = None) -> SendReport:
        def apply(m: Mutation) -> SendReport:
            message = lookups.message_row(m.conn, message_id, lock=True)
            segment = lookups.segment_row(m.conn, segment_id, lock=True)
            send_id = m.next_id("SND")
            channel = Channel(message["channel"])
            m.touch(deliveries)
            outcome = deliver(
                m.conn,
                send_id=send_id,
                segment_id=segment_id,
                channel=channel,
                day=m.today,
                limits=self.limits.messaging,
            )
            if outcome.values["status"] != SendStatus.SENT.value:
                raise PolicyViolation(
                    f"{outcome.values['failure_reason']}; nothing was sent",
                    field="segment_id",
                    rule="eligible_audience",
                )
            created = m.insert(
                sends,
                {
                    "id": send_id,
                    "message_id": message_id,
                    "segment_id": segment_id,
                    "channel": channel.value,
                    "scheduled_for": m.today.isoformat(),
                    **outcome.values,
                },
            )
            lookups.mark_used(m, message, segment)
            return SendReport(send=rows.send(created), audience=outcome.reach)

        args = {"message_id": message_id, "segment_id": segment_id}
        return await self._write("send_now", args, idempotency_key, apply, SendReport, reversible=False)

    # -- undo ---------------------------------------------------------------------------------------------------

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        """Undo one reversible CRM call; never one that would lift a suppression (tokens issued before it was final)."""

        def apply(m: Mutation) -> UndoResult:
            tool, changes = self.store.undo(m.conn, capability=self.capability, token=token)
            lifted = [c.key["id"] for c in changes if c.table == contacts.name and _lifts_suppression(c)]
            if lifted:
                raise PolicyViolation(
                    f"undo token {token!r} would lift the suppression of {', '.join(lifted)}; a suppression is final "
                    "(only the contact can opt back in), so nothing was changed",
                    field="token",
                    rule="suppression_is_final",
                )
            return UndoResult(token=token, tool=tool, restored=describe_changes(changes))

        return await self._write("undo", {"token": token}, idempotency_key, apply, UndoResult, reversible=False)


def _lifts_suppression(change: RowChange) -> bool:
    """Restoring `change.before` would make a suppressed contact (`after`) unsuppressed again."""
    return bool(change.after and change.after["suppressed"]) and not (change.before and change.before["suppressed"])
