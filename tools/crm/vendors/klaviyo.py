"""Klaviyo as the CRM backend (API revision 2026-10-15; doc pages and what is unverified: see `klaviyo_api`).

Contacts are Klaviyo profiles, masked like the sandbox's unless the caller holds the pii scope; consent per channel
is read from Klaviyo's subscriptions and enforced by Cadencia before every send (`klaviyo_audience`). Segments are
Klaviyo segments and lists (`segment:<id>`, `list:<id>`), defined in Klaviyo: creating one from Cadencia rules is not
supported. Suppression is irreversible here: Klaviyo suppresses the email, Cadencia's ledger suppresses every
channel. Profile searches Klaviyo cannot run (names, favourite category) answer NotSupported; country, language,
order count and consent filters are applied to each page Klaviyo returns, so a page may hold fewer than `limit`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from cadencia.tools.crm.masking import redact_text
from cadencia.tools.crm.models import (
    Channel,
    ChannelEligibility,
    ConsentStatus,
    Contact,
    ContactSummary,
    ReachEstimate,
    Segment,
    SegmentChange,
    SegmentRules,
    SuppressionChange,
)
from cadencia.tools.crm.vendors.klaviyo_api import KlaviyoApi, resource
from cadencia.tools.crm.vendors.klaviyo_audience import (
    audience_path,
    classify,
    members,
    recent_counts,
    suppressed_ids,
)
from cadencia.tools.crm.vendors.klaviyo_messaging import KlaviyoMessaging
from cadencia.tools.crm.vendors.klaviyo_profiles import PROFILE_FIELDS, Profile
from cadencia.tools.errors import InvalidArgument, NotFound
from cadencia.tools.inventory.models import Category
from cadencia.tools.limits import Limits
from cadencia.tools.paging import Page
from cadencia.tools.undo import UndoResult
from cadencia.tools.vendors.ledger import ObjectChange
from cadencia.tools.vendors.secrets import unsupported
from cadencia.tools.vendors.writes import VendorWrites, WritePlan, undo_with_vendor

VENDOR = "Klaviyo"
PROFILE_ID = re.compile(r"[0-9A-Z]{26}")


def utc_now() -> datetime:
    return datetime.now(UTC)


class KlaviyoCrm(KlaviyoMessaging):
    """`CrmBackend` over one Klaviyo account; messages and sends come from `KlaviyoMessaging`."""

    vendor = VENDOR

    def __init__(
        self,
        api: KlaviyoApi,
        writes: VendorWrites,
        *,
        currency: str,
        from_email: str,
        from_label: str,
        limits: Limits | None = None,
        today: Callable[[], date] = lambda: utc_now().date(),
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(
            api,
            writes,
            currency=currency,
            from_email=from_email,
            from_label=from_label,
            limits=limits or Limits(),
            today=today,
            now=now,
        )

    # -- contacts --------------------------------------------------------------------------------------------------

    async def _profile(self, contact_id: str) -> Profile:
        try:
            doc = await self._api.get(f"profiles/{contact_id}", PROFILE_FIELDS)
        except NotFound:
            raise NotFound(f"No contact {contact_id!r}; call find_contacts", field="contact_id") from None
        return Profile.parse(doc["data"], self._currency)

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
        if favorite_category is not None:
            raise unsupported(VENDOR, "find_contacts", "favorite_category (Klaviyo profiles have no such field)")
        params = {**PROFILE_FIELDS, "page[size]": str(limit)}
        if query:
            if "'" in query or '"' in query:
                raise InvalidArgument("query may not contain quotes", field="query")
            if "@" in query and not reveal_pii:
                return Page(items=[])
            if "@" in query:
                params["filter"] = f"equals(email,'{query}')"
            elif PROFILE_ID.fullmatch(query):
                params["filter"] = f"equals({'profile_id' if segment_id else 'id'},'{query}')"
            else:
                raise unsupported(
                    VENDOR, "find_contacts", "searching names (search an email with the pii scope, or a profile id)"
                )
        path = audience_path(segment_id) if segment_id else "profiles"
        docs, after = await self._api.page(path, params, cursor)
        profiles = [Profile.parse(d, self._currency) for d in docs]
        suppressed = suppressed_ids(self._ledger)
        items = [
            p.summary(reveal_pii=reveal_pii, cadencia_suppressed=p.id in suppressed, currency=self._currency)
            for p in profiles
            if (country is None or p.country == country)
            and (language is None or p.language == language)
            and (min_orders is None or p.orders >= min_orders)
            and (consent_channel is None or p.status(consent_channel) is ConsentStatus.GRANTED)
        ]
        return Page(items=items, next_cursor=after)

    async def get_contact(self, *, contact_id: str, reveal_pii: bool = False) -> Contact:
        profile = await self._profile(contact_id)
        local = self._ledger.object("suppression", contact_id)
        limits = self._limits.messaging
        today = self._today()
        channels = []
        for channel in Channel:
            recent = recent_counts(self._ledger, channel, today, limits).get(contact_id, 0)
            reason = profile.skip_reason(channel, cadencia_suppressed=local is not None, recent=recent, limits=limits)
            channels.append(
                ChannelEligibility(
                    channel=channel,
                    deliveries_in_window=recent,
                    frequency_cap=limits.frequency_cap,
                    eligible=reason is None,
                    reason=reason,
                )
            )
        vendor_reason, vendor_on = profile.email_suppression or (None, None)
        reason_text = local["reason"] if local else vendor_reason
        return Contact(
            **profile.fields(reveal_pii=reveal_pii, cadencia_suppressed=local is not None, currency=self._currency),
            created_on=profile.created_on,
            suppressed_reason=reason_text if reveal_pii or reason_text is None else redact_text(reason_text),
            suppressed_on=date.fromisoformat(local["on"]) if local and local.get("on") else vendor_on,
            consents=list(profile.consents.values()),
            frequency_window_days=limits.frequency_window_days,
            channels=channels,
        )

    async def suppress_contact(
        self, *, contact_id: str, reason: str, idempotency_key: str | None = None
    ) -> SuppressionChange:
        """Irreversible: Klaviyo suppresses the email; the ledger stops every channel. No tool lifts it."""

        async def plan() -> WritePlan[SuppressionChange]:
            profile = await self._profile(contact_id)
            local = self._ledger.object("suppression", contact_id)
            if local is not None:
                return WritePlan(
                    result=SuppressionChange(
                        contact_id=contact_id, previous_suppressed=True, suppressed=True, reason=local["reason"]
                    ),
                    changes=[],
                    effect=f"{contact_id} is already suppressed",
                    send=_nothing,
                    reversible=False,
                )
            previous = profile.email_suppression is not None
            state = {"reason": reason, "on": self._today().isoformat()}

            async def send() -> None:
                if profile.email:
                    job = {"profiles": {"data": [{"type": "profile", "attributes": {"email": profile.email}}]}}
                    body = resource("profile-suppression-bulk-create-job", job)
                    await self._api.request("POST", "profile-suppression-bulk-create-jobs", body=body)

            return WritePlan(
                result=SuppressionChange(
                    contact_id=contact_id, previous_suppressed=previous, suppressed=True, reason=reason
                ),
                changes=[ObjectChange(kind="suppression", object_id=contact_id, before=None, after=state)],
                effect=f"suppress {contact_id} on every channel (Klaviyo email suppression + Cadencia ledger)",
                send=send,
                reversible=False,
            )

        args = {"contact_id": contact_id, "reason": reason}
        return await self._writes.run(
            tool="suppress_contact", args=args, key=idempotency_key, result_type=SuppressionChange, plan=plan
        )

    # -- segments --------------------------------------------------------------------------------------------------

    async def list_segments(self, *, cursor: str | None = None, limit: int = 20) -> Page[Segment]:
        """Klaviyo segments first, then lists; membership is Klaviyo's own definition (`source`)."""
        kind, inner = _decode(cursor)
        items: list[Segment] = []
        while kind is not None and len(items) < limit:
            docs, after = await self._api.page(f"{kind}s", {"page[size]": str(limit - len(items))}, inner)
            items += [_segment(kind, d) for d in docs]
            inner = after
            if after is None:
                kind, inner = ("list" if kind == "segment" else None), None
        return Page(items=items, next_cursor=_encode(kind, inner) if kind else None)

    async def create_segment(self, **_: Any) -> SegmentChange:
        raise unsupported(VENDOR, "create_segment", "segments are defined in Klaviyo; use list_segments to pick one")

    async def estimate_segment(
        self, *, segment_id: str | None = None, rules: SegmentRules | None = None
    ) -> ReachEstimate:
        if (segment_id is None) == (rules is None):
            raise InvalidArgument("give exactly one of segment_id or rules", field="segment_id")
        if segment_id is None:
            raise unsupported(VENDOR, "estimate_segment", "rules (estimate a Klaviyo segment by segment_id)")
        profiles = await members(self._api, segment_id, self._currency)
        today = self._today()
        limits = self._limits.messaging
        reach = classify(profiles, list(Channel), self._ledger, today, limits)
        return ReachEstimate(
            segment_id=segment_id,
            rules=SegmentRules(),
            as_of=today,
            size=len(profiles),
            frequency_cap=limits.frequency_cap,
            frequency_window_days=limits.frequency_window_days,
            max_recipients_per_send=limits.max_recipients_per_send,
            channels=[reach[c].reach for c in Channel],
        )

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        return await undo_with_vendor(self._writes, token=token, key=idempotency_key, compensate=self.compensate)


def _segment(kind: str, doc: dict[str, Any]) -> Segment:
    a = doc.get("attributes") or {}
    created = a.get("created")
    return Segment(
        id=f"{kind}:{doc['id']}",
        name=a.get("name") or "",
        rules=SegmentRules(),
        created_on=datetime.fromisoformat(created.replace("Z", "+00:00")).date() if created else date(1970, 1, 1),
        source=f"klaviyo {kind}",
    )


def _encode(kind: str, inner: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, inner]).encode()).decode()


def _decode(cursor: str | None) -> tuple[str | None, str | None]:
    if not cursor:
        return "segment", None
    try:
        kind, inner = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("cursor is not one this server issued; omit it for page 1", field="cursor") from exc
    if kind not in ("segment", "list"):
        raise InvalidArgument("cursor is not one this server issued; omit it for page 1", field="cursor")
    return kind, inner


async def _nothing() -> None:
    return None
