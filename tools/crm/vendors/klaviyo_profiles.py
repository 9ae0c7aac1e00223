"""Klaviyo profiles as Cadencia contacts: consent per channel, suppressions, masking, and who may be messaged.

Consent is explicit or nothing: only `SUBSCRIBED` is `granted` (Klaviyo itself emails any unsuppressed profile,
`NEVER_SUBSCRIBED` included). Klaviyo's own suppressions are email-only; a suppression made through Cadencia is
kept in the ledger and applies to every channel. WhatsApp consent is read from `subscriptions.whatsapp.marketing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cadencia.tools.crm.masking import mask_email, mask_last_name, mask_phone
from cadencia.tools.crm.models import (
    Channel,
    ChannelConsents,
    ConsentRecord,
    ConsentStatus,
    ContactSummary,
    SkipReason,
)
from cadencia.tools.limits import MessagingLimits
from cadencia.tools.vendors.money import to_minor

CONSENT = {"SUBSCRIBED": ConsentStatus.GRANTED, "UNSUBSCRIBED": ConsentStatus.WITHDRAWN}
COUNTRIES = {
    "spain": "ES",
    "españa": "ES",
    "colombia": "CO",
    "france": "FR",
    "united states": "US",
    "united states of america": "US",
    "mexico": "MX",
    "méxico": "MX",
    "portugal": "PT",
    "italy": "IT",
    "germany": "DE",
    "united kingdom": "GB",
}
PROFILE_FIELDS = {"additional-fields[profile]": "subscriptions,predictive_analytics"}


def _day(value: str | None) -> date | None:
    """The date of a Klaviyo timestamp; None when absent or unreadable (never a crash on vendor data)."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date() if value else None
    except ValueError:
        return None


def country_code(value: str | None) -> str:
    """Klaviyo stores what it was given (`ES` or `Spain`); the markets Cadencia sells in map to ISO codes."""
    if not value:
        return ""
    text = value.strip()
    return text.upper() if len(text) == 2 else COUNTRIES.get(text.lower(), text)


@dataclass(frozen=True)
class Profile:
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    country: str
    language: str
    orders: int
    lifetime_value_minor: int
    created_on: date
    consents: dict[Channel, ConsentRecord]
    email_suppression: tuple[str, date | None] | None

    @classmethod
    def parse(cls, doc: dict[str, Any], currency: str) -> Profile:
        a = doc.get("attributes") or {}
        subs = a.get("subscriptions") or {}
        analytics = a.get("predictive_analytics") or {}
        email_marketing = (subs.get("email") or {}).get("marketing") or {}
        suppressions = email_marketing.get("suppression") or []
        return cls(
            id=doc["id"],
            first_name=a.get("first_name") or "",
            last_name=a.get("last_name") or "",
            email=a.get("email") or "",
            phone=a.get("phone_number") or "",
            country=country_code((a.get("location") or {}).get("country")),
            language=(a.get("locale") or "").split("-")[0].lower(),
            orders=int(analytics.get("historic_number_of_orders") or 0),
            lifetime_value_minor=to_minor(str(analytics.get("historic_clv") or 0), currency),
            created_on=_day(a.get("created")) or date(1970, 1, 1),
            consents={
                channel: record
                for channel in Channel
                if (record := _consent(channel, (subs.get(channel.value) or {}).get("marketing") or {})) is not None
            },
            email_suppression=(suppressions[0]["reason"], _day(suppressions[0].get("timestamp")))
            if suppressions
            else None,
        )

    def status(self, channel: Channel) -> ConsentStatus:
        record = self.consents.get(channel)
        return record.status if record else ConsentStatus.NONE

    def suppressed_on(self, channel: Channel, *, cadencia: bool) -> bool:
        """Suppressed through Cadencia (every channel), or by Klaviyo (email only)."""
        return cadencia or (channel is Channel.EMAIL and self.email_suppression is not None)

    def skip_reason(
        self, channel: Channel, *, cadencia_suppressed: bool, recent: int, limits: MessagingLimits
    ) -> SkipReason | None:
        """Why this profile gets no marketing on `channel` today (first reason, sandbox order), or None."""
        status = self.status(channel)
        if self.suppressed_on(channel, cadencia=cadencia_suppressed):
            return SkipReason.SUPPRESSED
        if status is ConsentStatus.WITHDRAWN:
            return SkipReason.CONSENT_WITHDRAWN
        if status is not ConsentStatus.GRANTED:
            return SkipReason.NO_CONSENT
        if recent >= limits.frequency_cap:
            return SkipReason.FREQUENCY_CAPPED
        return None

    def summary(self, *, reveal_pii: bool, cadencia_suppressed: bool, currency: str) -> ContactSummary:
        return ContactSummary(
            **self.fields(reveal_pii=reveal_pii, cadencia_suppressed=cadencia_suppressed, currency=currency)
        )

    def fields(self, *, reveal_pii: bool, cadencia_suppressed: bool, currency: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name if reveal_pii else mask_last_name(self.last_name),
            "email": self.email if reveal_pii else mask_email(self.email),
            "phone": self.phone if reveal_pii else mask_phone(self.phone),
            "pii_masked": not reveal_pii,
            "country": self.country,
            "language": self.language,
            "orders_count": self.orders,
            "lifetime_value_minor": self.lifetime_value_minor,
            "currency": currency,
            "last_order_on": None,
            "favorite_category": None,
            "suppressed": cadencia_suppressed or self.email_suppression is not None,
            "consent": ChannelConsents(**{c.value: self.status(c) for c in Channel}),
            "notes": "",
        }


def _consent(channel: Channel, marketing: dict[str, Any]) -> ConsentRecord | None:
    value = marketing.get("consent")
    if not value:
        return None
    return ConsentRecord(
        channel=channel,
        status=CONSENT.get(str(value), ConsentStatus.NONE),
        source=str(marketing.get("method") or "klaviyo"),
        legal_basis="consent (Klaviyo subscription)",
        updated_on=_day(marketing.get("consent_timestamp") or marketing.get("last_updated")) or date(1970, 1, 1),
    )
