"""PII masking for contact output and detection of raw PII in outgoing copy."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_CANDIDATE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
MIN_PHONE_DIGITS = 9


def mask_email(email: str) -> str:
    """`laura.gil.12@example.com` → `l***@example.com`."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """`+34 612345678` → `+34 6******78`: country code and first digit kept, last two kept."""
    code, space, national = phone.partition(" ")
    head, rest = (f"{code} ", national.replace(" ", "")) if space else ("", phone)
    if len(rest) <= 5:
        return head + "*" * len(rest)
    keep = 1 if space else 3
    return f"{head}{rest[:keep]}{'*' * (len(rest) - keep - 2)}{rest[-2:]}"


def mask_last_name(last_name: str) -> str:
    """`García` → `G.`."""
    return f"{last_name[:1]}." if last_name else ""


def _is_phone(candidate: str) -> bool:
    return sum(ch.isdigit() for ch in candidate) >= MIN_PHONE_DIGITS


def redact_text(text: str) -> str:
    """Mask email addresses and phone numbers inside free text."""
    text = EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return PHONE_CANDIDATE.sub(lambda m: "[phone]" if _is_phone(m.group(0)) else m.group(0), text)


def find_pii(text: str) -> list[str]:
    """Kinds of raw PII found in `text` (`email`, `phone`), for refusing copy that would leak it."""
    found: list[str] = []
    if EMAIL.search(text):
        found.append("email")
    if any(_is_phone(m.group(0)) for m in PHONE_CANDIDATE.finditer(text)):
        found.append("phone")
    return found
