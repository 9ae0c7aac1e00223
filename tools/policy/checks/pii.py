"""pii_outbound: no personal data (emails, phones, IBANs, card numbers, street addresses) in outbound text."""

from __future__ import annotations

import re

from pydantic import Field

from cadencia.tools.names import Crm
from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import OUTBOUND_TOOLS, customer_texts, str_arg
from cadencia.tools.policy.context import CheckContext, CheckParams, Unknown
from cadencia.tools.policy.registry import check

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ().-]{6,}\d(?![\w])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
STREETS = (
    re.compile(
        r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,4}"
        r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Place|Pl)\b"
    ),
    re.compile(
        r"\b(?:Calle|Cl|Carrera|Cra|Kr|Avenida|Av|Diagonal|Dg|Transversal|Tv)\.?\s+\d{1,3}\s?[A-Z]?\s?"
        r"(?:#|No\.?|N[º°])\s?\d{1,3}[A-Z]?(?:\s?-\s?\d{1,3})?"
    ),
    re.compile(
        r"\b(?:Calle|Avenida|Avda|Paseo|Plaza|Carrer|Rúa|Viale|Piazza)\.?\s+(?:(?:de|del|la|las|los|el|di|della)\s+)*"
        r"(?:[A-ZÁÉÍÓÚÑ][\w'.-]*\s*){1,4},?\s?(?:n[º°o.]\s?)?\d{1,5}\b"
    ),
    re.compile(r"\b\d{1,5},?\s+(?:rue|avenue|boulevard|bd|place|chemin|quai)\s+(?:de\s+|du\s+|des\s+|la\s+|l')*[A-Z]"),
)
"""Street addresses: English (`221B Baker Street`), Colombian (`Calle 45 # 12-30`), Spanish/Italian, French forms."""


class PiiParams(CheckParams):
    allowed_emails: list[str] = Field(default_factory=list, description="Brand addresses that may appear.")
    allowed_phones: list[str] = Field(default_factory=list, description="Brand numbers that may appear (digits).")
    when_unknown: Unknown = "require_approval"


@check("pii_outbound", params=PiiParams, guards=OUTBOUND_TOOLS)
async def pii_outbound(action: ProposedAction, ctx: CheckContext[PiiParams]) -> Verdict | None:
    """Outbound text (copy, messages, replies, product pages) carries no personal data."""
    texts = [text for _, text in customer_texts(action.tool, action.args)]
    if action.tool in (Crm.SEND_NOW, Crm.SCHEDULE_SEND):
        message_id = str_arg(action.args, "message_id")
        message = None if message_id is None else await ctx.facts.message(message_id)
        if message is None:
            return ctx.unknown(f"message {message_id!r} is not in the facts", ctx.params.when_unknown)
        texts = [message.subject, message.body]
    for text in texts:
        found = find_pii(text, ctx.params)
        if found:
            return ctx.violation(f"outbound text contains {found}")
    return None


def find_pii(text: str, params: PiiParams) -> str | None:
    """The kind of personal data found in `text`, or None."""
    allowed_emails = {e.lower() for e in params.allowed_emails}
    if any(m.group(0).lower() not in allowed_emails for m in EMAIL.finditer(text)):
        return "an email address"
    scrubbed = EMAIL.sub(" ", text)
    if IBAN.search(scrubbed):
        return "an IBAN"
    if CARD.search(scrubbed):
        return "a card-like number"
    allowed_phones = {re.sub(r"\D", "", p) for p in params.allowed_phones}
    for match in PHONE.finditer(scrubbed):
        digits = re.sub(r"\D", "", match.group(0))
        if 9 <= len(digits) <= 15 and digits not in allowed_phones:
            return "a phone number"
    if any(street.search(scrubbed) for street in STREETS):
        return "a street address"
    return None
