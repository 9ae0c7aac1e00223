"""Checks on outgoing copy: channel shape and length, no raw PII, only approved claims."""

from __future__ import annotations

from sqlalchemy import Connection, select

from cadencia.tools.crm.masking import find_pii
from cadencia.tools.crm.models import Channel
from cadencia.tools.errors import InvalidArgument, PolicyViolation
from cadencia.tools.limits import MessagingLimits
from cadencia.tools.store.claims import claims


def check_shape(channel: Channel, subject: str | None, body: str, limits: MessagingLimits) -> None:
    """Email needs a subject; SMS and WhatsApp have none and a bounded length."""
    if channel is Channel.EMAIL:
        if not subject or not subject.strip():
            raise InvalidArgument("an email needs a subject; give subject", field="subject")
        return
    if subject:
        raise InvalidArgument(f"{channel.value} messages have no subject; omit subject", field="subject")
    bound = limits.sms_max_chars if channel is Channel.SMS else limits.whatsapp_max_chars
    if len(body) > bound:
        raise PolicyViolation(
            f"{channel.value} body is {len(body)} characters; the maximum is {bound}. Shorten it",
            field="body",
            rule=f"{channel.value}_max_chars",
        )


def check_no_pii(subject: str | None, body: str) -> None:
    """Copy goes to many people: it may use merge tags like {{first_name}}, never a raw email or phone number."""
    for field, text in (("subject", subject or ""), ("body", body)):
        kinds = find_pii(text)
        if kinds:
            raise PolicyViolation(
                f"{field} contains a raw {' and '.join(kinds)}; remove personal data from the copy "
                "(use merge tags such as {{first_name}} for personalisation)",
                field=field,
                rule="no_raw_pii",
            )


def check_claims(conn: Connection, claim_ids: list[str], subject: str | None, body: str) -> None:
    """Every cited claim exists and is approved, and the copy does not quote an unapproved claim."""
    wanted = sorted(set(claim_ids))
    found = dict(conn.execute(select(claims.c.id, claims.c.approved).where(claims.c.id.in_(wanted))).all())
    unknown = [cid for cid in wanted if cid not in found]
    unapproved = [cid for cid in wanted if cid in found and not found[cid]]
    if unknown or unapproved:
        parts = []
        if unknown:
            parts.append(f"unknown claim ids {', '.join(unknown)}")
        if unapproved:
            parts.append(f"claims not approved {', '.join(unapproved)}")
        raise PolicyViolation(
            "; ".join(parts) + ". Use only approved claim ids from the claims library",
            field="claim_ids",
            rule="approved_claims",
        )
    copy = f"{subject or ''}\n{body}".casefold()
    quoted = [
        cid
        for cid, text in conn.execute(select(claims.c.id, claims.c.text).where(claims.c.approved.is_(False))).all()
        if text.casefold() in copy
    ]
    if quoted:
        raise PolicyViolation(
            f"the copy states unapproved claims {', '.join(sorted(quoted))}; remove them",
            field="body",
            rule="approved_claims",
        )
