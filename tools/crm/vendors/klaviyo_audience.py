"""Who in a Klaviyo segment or list may receive a message: members read with their consents, classified with
Cadencia's rules, and the deliveries Cadencia made through Klaviyo (what the frequency cap counts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, insert, select

from cadencia.tools.crm.eligibility import window_start
from cadencia.tools.crm.models import Channel, ChannelReach, Exclusions, SkipReason
from cadencia.tools.crm.vendors.klaviyo_api import KlaviyoApi
from cadencia.tools.crm.vendors.klaviyo_profiles import PROFILE_FIELDS, Profile
from cadencia.tools.errors import InvalidArgument
from cadencia.tools.limits import MessagingLimits
from cadencia.tools.vendors.ledger import VendorLedger
from cadencia.tools.vendors.tables import vendor_deliveries

KINDS = {"segment": "segments", "list": "lists"}


def audience_path(segment_id: str) -> str:
    """`segment:AbC123` → `segments/AbC123/profiles` (Klaviyo lists are `list:…`)."""
    kind, sep, raw = segment_id.partition(":")
    if not sep or kind not in KINDS or not raw:
        raise InvalidArgument(
            f"segment_id {segment_id!r} is not a Klaviyo audience; ids look like segment:<id> or list:<id> "
            "(call list_segments)",
            field="segment_id",
        )
    return f"{KINDS[kind]}/{raw}/profiles"


def suppressed_ids(ledger: VendorLedger) -> set[str]:
    """Profiles suppressed through Cadencia: never messaged again on any channel."""
    return {object_id for object_id, _ in ledger.objects("suppression")}


def recent_counts(ledger: VendorLedger, channel: Channel, day: date, limits: MessagingLimits) -> dict[str, int]:
    t = vendor_deliveries
    with ledger.store.reading() as conn:
        rows = conn.execute(
            select(t.c.contact_id, func.count())
            .where(
                t.c.backend == ledger.backend,
                t.c.channel == channel.value,
                t.c.sent_on >= window_start(day, limits).isoformat(),
                t.c.sent_on <= day.isoformat(),
            )
            .group_by(t.c.contact_id)
        ).all()
    return {contact_id: int(n) for contact_id, n in rows}


def record_deliveries(ledger: VendorLedger, send_id: str, channel: Channel, day: date, ids: Iterable[str]) -> None:
    rows = [
        {
            "backend": ledger.backend,
            "send_id": send_id,
            "contact_id": i,
            "channel": channel.value,
            "sent_on": day.isoformat(),
        }
        for i in ids
    ]
    if rows:
        with ledger.store.writing() as conn:
            conn.execute(insert(vendor_deliveries), rows)


def forget_deliveries(ledger: VendorLedger, send_id: str) -> None:
    t = vendor_deliveries
    with ledger.store.writing() as conn:
        conn.execute(delete(t).where(t.c.backend == ledger.backend, t.c.send_id == send_id))


@dataclass
class Audience:
    """Members of one segment or list on one channel: the eligible ones and the exclusions by first reason."""

    channel: Channel
    size: int = 0
    eligible: list[str] = field(default_factory=list)
    excluded: Exclusions = field(default_factory=Exclusions)

    @property
    def reach(self) -> ChannelReach:
        return ChannelReach(channel=self.channel, eligible=len(self.eligible), excluded=self.excluded)


async def members(api: KlaviyoApi, segment_id: str, currency: str) -> list[Profile]:
    """Every member of a Klaviyo segment or list, with subscriptions and order history."""
    params = {**PROFILE_FIELDS, "page[size]": "100"}
    return [Profile.parse(doc, currency) async for doc in api.every(audience_path(segment_id), params)]


def classify(
    profiles: list[Profile], channels: Iterable[Channel], ledger: VendorLedger, day: date, limits: MessagingLimits
) -> dict[Channel, Audience]:
    """Eligibility of every member on each channel, with the same rules and order as the sandbox."""
    suppressed = suppressed_ids(ledger)
    out: dict[Channel, Audience] = {}
    for channel in channels:
        recent = recent_counts(ledger, channel, day, limits)
        audience = Audience(channel=channel, size=len(profiles))
        counts = {reason: 0 for reason in SkipReason}
        for profile in profiles:
            reason = profile.skip_reason(
                channel, cadencia_suppressed=profile.id in suppressed, recent=recent.get(profile.id, 0), limits=limits
            )
            if reason is None:
                audience.eligible.append(profile.id)
            else:
                counts[reason] += 1
        audience.excluded = Exclusions(**{r.value: n for r, n in counts.items()})
        out[channel] = audience
    return out
