"""PII redaction for audit payloads: the log keeps what was decided, not who the customer is."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import JsonValue

from cadencia.tools.audit.encoding import JsonObject, encode_json

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d+\)?)+")
PHONE_DIGITS = range(8, 16)  # E.164: at most 15 digits; fewer than 8 is not a phone number

PII_KEYS = {
    "email": "email",
    "phone": "phone",
    "phone_number": "phone",
    "mobile": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "name_full": "name_full",
    "full_name": "name_full",
    "address": "address",
}
PII_SUFFIXES = ("email", "phone", "address")

# What a payload that redaction would change shows in its canonical JSON, where every key reads `"key":`: a PII key
# ends in `<word>":` once lower-cased (exact keys and `_suffix` keys alike); an e-mail needs an "@" and a phone a "+"
# before a digit. Each test accepts more than the rule it stands for, never less: a false alarm costs one walk.
_PII_KEY_ENDINGS = tuple(f'{word}":' for word in sorted({*PII_KEYS, *PII_SUFFIXES}))
_PHONE_START = re.compile(r"\+\d")


def _key_label(key: str) -> str | None:
    """The PII label for a payload key (`email`, `customer_email`, `Phone` …), or None for an ordinary key."""
    lowered = key.lower()
    label = PII_KEYS.get(lowered)
    if label is None and "_" in lowered:
        suffix = lowered.rpartition("_")[2]
        label = suffix if suffix in PII_SUFFIXES else None
    return label


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group())
    return "[redacted:phone]" if digits in PHONE_DIGITS else match.group()


def redact_text(text: str) -> str:
    """Mask e-mail addresses and international phone numbers inside free text."""
    if "@" in text:
        text = EMAIL.sub("[redacted:email]", text)
    return PHONE.sub(_phone, text) if "+" in text else text


def _redact_value(value: JsonValue) -> JsonValue:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    return value


def redact(payload: Mapping[str, JsonValue]) -> JsonObject:
    """A copy of `payload` with PII masked: values under PII keys and e-mails/phones in any string, recursively."""
    result: JsonObject = {}
    for key, value in payload.items():
        label = _key_label(key)
        result[key] = f"[redacted:{label}]" if label is not None and value is not None else _redact_value(value)
    return result


def _may_hold_pii_keys(encoded: str) -> bool:
    return any(map(encoded.lower().__contains__, _PII_KEY_ENDINGS))


def _may_hold_contacts(encoded: str) -> bool:
    return "@" in encoded or ("+" in encoded and _PHONE_START.search(encoded) is not None)


def may_need_redaction(encoded: str) -> bool:
    """False only when `redact` would return the payload unchanged, judged from its canonical JSON."""
    return _may_hold_contacts(encoded) or _may_hold_pii_keys(encoded)


def _mask_values(value: JsonValue) -> JsonValue:
    """A copy of `value` with e-mails and phones masked inside strings (what `redact` does where no key is PII)."""
    if isinstance(value, str):
        return redact_text(value) if "@" in value or "+" in value else value
    if isinstance(value, dict):
        return {key: _mask_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_values(item) for item in value]
    return value


def encode_redacted(payload: Mapping[str, JsonValue]) -> tuple[str, JsonObject]:
    """A redacted copy of the payload and its canonical JSON, encoded once unless a key may be a PII key.

    Masking strings is a cheap walk; only payloads whose JSON shows a PII-looking key take the full `redact`.
    """
    masked = {key: _mask_values(value) for key, value in payload.items()}
    encoded = encode_json(masked)
    if not _may_hold_pii_keys(encoded):
        return encoded, masked
    redacted = redact(payload)
    return encode_json(redacted), redacted
