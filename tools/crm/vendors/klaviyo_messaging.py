"""Message drafts and sends on a Klaviyo backend.

Drafts live in Cadencia's ledger (checked like the sandbox's: shape, no raw PII, approved claims only) until a send
uses them. A send re-reads the audience from Klaviyo, applies Cadencia's consent, suppression and frequency rules,
and sends a Klaviyo campaign to a list of exactly the eligible members (`klaviyo_sends`). Scheduling is undoable
until the campaign goes out; cancelling is final (send again with schedule_send, which checks consent anew); a sent
message is irreversible. WhatsApp: Klaviyo campaigns have no WhatsApp channel, so such drafts are refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from cadencia.tools.crm.content import check_claims, check_no_pii, check_shape
from cadencia.tools.crm.eligibility import audience_problem
from cadencia.tools.crm.models import (
    Channel,
    Exclusions,
    Message,
    MessageChange,
    Send,
    SendChange,
    SendReport,
    SendStatus,
)
from cadencia.tools.crm.vendors import klaviyo_sends as ks
from cadencia.tools.crm.vendors.klaviyo_api import KlaviyoApi
from cadencia.tools.crm.vendors.klaviyo_audience import (
    Audience,
    audience_path,
    classify,
    forget_deliveries,
    members,
    record_deliveries,
)
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page, decode_cursor, next_cursor
from cadencia.tools.vendors.ledger import ObjectChange, VendorLedger
from cadencia.tools.vendors.secrets import unsupported
from cadencia.tools.vendors.writes import Sent, VendorWrites, WritePlan

MAX_SCHEDULE_AHEAD_DAYS = 365
SEND_HOUR = time(9, 0)
LEAD = timedelta(minutes=15)


class KlaviyoMessaging:
    def __init__(
        self,
        api: KlaviyoApi,
        writes: VendorWrites,
        *,
        currency: str,
        from_email: str,
        from_label: str,
        limits: Limits,
        today: Callable[[], date],
        now: Callable[[], datetime],
    ) -> None:
        self._api, self._writes, self._currency = api, writes, currency
        self._from_email, self._from_label = from_email, from_label
        self._limits, self._today, self._now = limits, today, now

    @property
    def _ledger(self) -> VendorLedger:
        return self._writes.ledger

    # -- drafts --------------------------------------------------------------------------------------------------

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
        args = {
            "channel": channel.value,
            "subject": subject,
            "body": body,
            "claim_ids": claim_ids,
            "ai_generated": ai_generated,
        }

        async def plan() -> WritePlan[MessageChange]:
            if channel is Channel.WHATSAPP:
                raise unsupported("Klaviyo", "draft_message", "Klaviyo campaigns have no WhatsApp channel")
            check_shape(channel, subject, body, self._limits.messaging)
            check_no_pii(subject, body)
            with self._ledger.store.reading() as conn:
                check_claims(conn, claim_ids, subject, body)
            message = Message(
                id=f"MSG-{uuid.uuid4().hex[:10]}",
                channel=channel,
                subject=subject or "",
                body=body,
                claim_ids=sorted(set(claim_ids)),
                ai_generated=ai_generated,
                created_on=self._today(),
            )
            state = message.model_dump(mode="json")
            return WritePlan(
                result=MessageChange(message=message, previous=None),
                changes=[ObjectChange(kind="message", object_id=message.id, before=None, after=state)],
                effect=f"new {channel.value} draft (kept by Cadencia until sent)",
                send=_nothing,
                local=True,
            )

        return await self._writes.run(
            tool="draft_message", args=args, key=idempotency_key, result_type=MessageChange, plan=plan
        )

    async def list_messages(
        self, *, channel: Channel | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Message]:
        offset = decode_cursor(cursor)
        found = [Message.model_validate(s) for _, s in self._ledger.objects("message")]
        found = [m for m in found if channel is None or m.channel is channel]
        return Page(items=found[offset : offset + limit], next_cursor=next_cursor(offset, limit, len(found) - offset))

    def _message(self, message_id: str) -> Message:
        state = self._ledger.object("message", message_id)
        if state is None:
            raise NotFound(f"No message {message_id!r}; call list_messages or draft_message", field="message_id")
        return Message.model_validate(state)

    # -- sends -----------------------------------------------------------------------------------------------------

    def _send(self, send_id: str) -> tuple[Send, dict[str, Any]]:
        state = self._ledger.object("send", send_id)
        if state is None:
            raise NotFound(f"No send {send_id!r}; call list_sends", field="send_id")
        return Send.model_validate(state["send"]), state

    async def list_sends(
        self, *, status: SendStatus | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Send]:
        """Cadencia's sends through Klaviyo; scheduled ones are refreshed (a campaign may have gone out since)."""
        offset = decode_cursor(cursor)
        found = []
        for send_id, state in self._ledger.objects("send"):
            send = Send.model_validate(state["send"])
            if send.status is SendStatus.SCHEDULED:
                send = await self._refresh(send_id, send, state)
            if status is None or send.status is status:
                found.append(send)
        return Page(items=found[offset : offset + limit], next_cursor=next_cursor(offset, limit, len(found) - offset))

    async def _refresh(self, send_id: str, send: Send, state: dict[str, Any]) -> Send:
        now = await ks.status(self._api, str(state["campaign_id"]))
        if now is SendStatus.SCHEDULED:
            return send
        planned = Exclusions.model_validate(state["excluded"])
        update: dict[str, object] = {"status": now}
        if now is SendStatus.SENT:
            update |= {
                "sent_on": send.scheduled_for,
                "recipients": int(str(state["eligible"])),
                "skipped": planned.total,
            }
            update["skipped_by_reason"] = planned
        refreshed = send.model_copy(update=update)
        self._ledger.observe("send", send_id, {**state, "send": refreshed.model_dump(mode="json")})
        return refreshed

    async def _audience(self, message: Message, segment_id: str) -> Audience:
        audience_path(segment_id)
        profiles = await members(self._api, segment_id, self._currency)
        audience = classify(profiles, [message.channel], self._ledger, self._today(), self._limits.messaging)
        found = audience[message.channel]
        problem = audience_problem(found.reach, self._limits.messaging)
        if problem is not None:
            raise PolicyViolation(f"{problem}; nothing was sent", field="segment_id", rule="eligible_audience")
        return found

    def _outgoing(self, send_id: str, message: Message, at: datetime | None) -> ks.Outgoing:
        return ks.Outgoing(
            send_id, message.channel, message.subject, message.body, at, self._from_email, self._from_label
        )

    async def _go(
        self, send: Send, message: Message, audience: Audience, at: datetime | None, day: date
    ) -> list[ObjectChange]:
        """Create list and campaign, start it, count the deliveries; the draft's own undo becomes stale."""
        list_id = await ks.audience_list(self._api, f"Cadencia {send.id}", audience.eligible)
        campaign_id, template_id = await ks.campaign(self._api, self._outgoing(send.id, message, at), list_id)
        await ks.start(self._api, campaign_id)
        record_deliveries(self._ledger, send.id, message.channel, day, audience.eligible)
        draft = self._ledger.object("message", message.id) or {}
        used = ObjectChange(kind="message", object_id=message.id, before=draft, after={**draft, "used_by": send.id})
        image = {
            "send": send.model_dump(mode="json"),
            "campaign_id": campaign_id,
            "list_id": list_id,
            "template_id": template_id,
            "eligible": len(audience.eligible),
            "excluded": audience.excluded.model_dump(),
        }
        return [used, ObjectChange(kind="send", object_id=send.id, before=None, after=image)]

    def _send_time(self, day: date) -> datetime:
        return max(datetime.combine(day, SEND_HOUR, tzinfo=UTC), self._now() + LEAD)

    async def schedule_send(
        self, *, message_id: str, segment_id: str, scheduled_for: date, idempotency_key: str | None = None
    ) -> SendChange:
        args = {"message_id": message_id, "segment_id": segment_id, "scheduled_for": scheduled_for.isoformat()}

        async def plan() -> WritePlan[SendChange]:
            message = self._message(message_id)
            today = self._today()
            if scheduled_for < today:
                raise InvalidArgument(
                    f"scheduled_for {scheduled_for} is in the past (today is {today})", field="scheduled_for"
                )
            if scheduled_for > today + timedelta(days=MAX_SCHEDULE_AHEAD_DAYS):
                raise InvalidArgument(
                    f"scheduled_for may be at most {MAX_SCHEDULE_AHEAD_DAYS} days ahead", field="scheduled_for"
                )
            audience = await self._audience(message, segment_id)
            send = Send(
                id=f"SND-{uuid.uuid4().hex[:10]}",
                message_id=message_id,
                segment_id=segment_id,
                channel=message.channel,
                status=SendStatus.SCHEDULED,
                scheduled_for=scheduled_for,
                sent_on=None,
                recipients=0,
                skipped=0,
                skipped_by_reason=None,
                failure_reason=None,
            )
            result = SendChange(send=send, previous_status=None, estimate=audience.reach)

            async def go() -> Sent[SendChange]:
                at = self._send_time(scheduled_for)
                return Sent(result, await self._go(send, message, audience, at, scheduled_for))

            return WritePlan(
                result=result,
                changes=[],
                effect=f"{message.channel.value} campaign to {len(audience.eligible)} eligible members of {segment_id} "
                f"on {scheduled_for}",
                send=go,
            )

        return await self._writes.run(
            tool="schedule_send", args=args, key=idempotency_key, result_type=SendChange, plan=plan
        )

    async def cancel_send(self, *, send_id: str, idempotency_key: str | None = None) -> SendChange:
        """Final: the Klaviyo campaign is reverted and deleted, nothing is sent; schedule_send again to send later."""

        async def plan() -> WritePlan[SendChange]:
            send, state = self._send(send_id)
            if send.status is SendStatus.SCHEDULED:
                send = await self._refresh(send_id, send, state)
            if send.status is not SendStatus.SCHEDULED:
                raise Conflict(
                    f"send {send_id} is {send.status.value}; only scheduled sends can be cancelled "
                    "(a delivered message cannot be recalled)",
                    field="send_id",
                )
            cancelled = send.model_copy(update={"status": SendStatus.CANCELLED})

            async def go() -> None:
                await self._withdraw(send_id, state)

            after = {**state, "send": cancelled.model_dump(mode="json")}
            return WritePlan(
                result=SendChange(send=cancelled, previous_status=SendStatus.SCHEDULED),
                changes=[ObjectChange(kind="send", object_id=send_id, before=dict(state), after=after)],
                effect=f"send {send_id} (Klaviyo campaign {state['campaign_id']}) reverted to draft, not sent",
                send=go,
                reversible=False,
            )

        args = {"send_id": send_id}
        return await self._writes.run(
            tool="cancel_send", args=args, key=idempotency_key, result_type=SendChange, plan=plan
        )

    async def send_now(self, *, message_id: str, segment_id: str, idempotency_key: str | None = None) -> SendReport:
        args = {"message_id": message_id, "segment_id": segment_id}

        async def plan() -> WritePlan[SendReport]:
            message = self._message(message_id)
            audience = await self._audience(message, segment_id)
            today = self._today()
            send = Send(
                id=f"SND-{uuid.uuid4().hex[:10]}",
                message_id=message_id,
                segment_id=segment_id,
                channel=message.channel,
                status=SendStatus.SENT,
                scheduled_for=today,
                sent_on=today,
                recipients=len(audience.eligible),
                skipped=audience.excluded.total,
                skipped_by_reason=audience.excluded,
                failure_reason=None,
            )
            result = SendReport(send=send, audience=audience.reach)

            async def go() -> Sent[SendReport]:
                return Sent(result, await self._go(send, message, audience, None, today))

            return WritePlan(
                result=result,
                changes=[],
                effect=f"{message.channel.value} campaign sent now to {len(audience.eligible)} eligible members of "
                f"{segment_id}",
                send=go,
                reversible=False,
            )

        return await self._writes.run(
            tool="send_now", args=args, key=idempotency_key, result_type=SendReport, plan=plan
        )

    async def compensate(self, change: ObjectChange, _key: str) -> None:
        """Undo of a draft is local; undo of a schedule reverts the Klaviyo campaign if it has not gone out."""
        if change.kind != "send":
            return
        after = change.after or {}
        status = await ks.status(self._api, str(after["campaign_id"]))
        if status is not SendStatus.SCHEDULED:
            raise Conflict(
                f"cannot undo: send {change.object_id} is {status.value} in Klaviyo; a sent message cannot be recalled",
                field="token",
                rule="stale_undo",
            )
        await self._withdraw(change.object_id, after)

    async def _withdraw(self, send_id: str, state: dict[str, Any]) -> None:
        """Revert the scheduled campaign, delete it with its list and template, and uncount its deliveries."""
        await ks.revert(self._api, str(state["campaign_id"]))
        await ks.discard(self._api, str(state["campaign_id"]), str(state["list_id"]), state.get("template_id"))
        forget_deliveries(self._ledger, send_id)


async def _nothing() -> None:
    return None
