"""PII redaction of audit payloads."""

from __future__ import annotations

import random

import pytest

from cadencia.tools.audit import JsonObject, redact, redact_text
from cadencia.tools.audit.encoding import encode_json
from cadencia.tools.audit.redact import encode_redacted, may_need_redaction


def test_emails_inside_free_text_are_masked() -> None:
    assert redact_text("wrote to ana.ruiz+promo@maison-lysa.co.uk today") == "wrote to [redacted:email] today"


@pytest.mark.parametrize(
    "phone",
    ["+34 612345678", "+1 55512345678", "+57 300 123 4567", "+44 (20) 7946-0958", "+33.6.12.34.56.78"],
)
def test_international_phone_numbers_are_masked(phone: str) -> None:
    assert redact_text(f"call {phone} now") == "call [redacted:phone] now"


@pytest.mark.parametrize("text", ["C-0000123", "SKU-2291-B", "ROAS +3.2", "+15%", "order 20260302", "+12 units"])
def test_ids_amounts_and_short_numbers_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_values_under_pii_keys_are_masked_with_their_label() -> None:
    payload: JsonObject = {
        "contact_id": "C-0000123",
        "email": "ana@example.com",
        "phone": "612 34 56 78",
        "first_name": "Ana",
        "last_name": "Ruiz",
        "name_full": "Ana Ruiz",
        "address": {"street": "Calle Mayor 1", "city": "Madrid"},
    }
    assert redact(payload) == {
        "contact_id": "C-0000123",
        "email": "[redacted:email]",
        "phone": "[redacted:phone]",
        "first_name": "[redacted:first_name]",
        "last_name": "[redacted:last_name]",
        "name_full": "[redacted:name_full]",
        "address": "[redacted:address]",
    }


def test_redaction_reaches_nested_objects_and_lists() -> None:
    payload: JsonObject = {
        "tool": "crm.send_message",
        "args": {
            "recipients": [{"id": "C-0000123", "Email": "a@b.io"}, {"id": "C-0000124", "customer_phone": "+34 6"}],
            "body": "Hola! Reply to care@maison-lysa.com or +34 612345678",
        },
        "counts": [1, 2.5, None, True],
    }
    assert redact(payload) == {
        "tool": "crm.send_message",
        "args": {
            "recipients": [
                {"id": "C-0000123", "Email": "[redacted:email]"},
                {"id": "C-0000124", "customer_phone": "[redacted:phone]"},
            ],
            "body": "Hola! Reply to [redacted:email] or [redacted:phone]",
        },
        "counts": [1, 2.5, None, True],
    }


def test_redaction_leaves_the_input_untouched_and_is_idempotent() -> None:
    payload: JsonObject = {"email": "ana@example.com", "note": ["ping ana@example.com"]}
    once = redact(payload)
    assert payload == {"email": "ana@example.com", "note": ["ping ana@example.com"]}
    assert redact(once) == once


def test_missing_pii_values_stay_null() -> None:
    assert redact({"email": None, "email_opt_in": True}) == {"email": None, "email_opt_in": True}


def _random_payload(rng: random.Random, depth: int = 0) -> JsonObject:
    keys = [
        "id",
        "note",
        "Email",
        "customer_phone",
        "billing_ADDRESS",
        "mobile",
        "full_name",
        "x_email_y",
        "email_opt_in",
    ]
    texts = [
        "ok",
        "ana@example.com",
        "call +34 612345678",
        "+15%",
        "ROAS +3.2",
        "a\nb@c.io",
        "x@y",
        "2026-03-02T09:00+00:00",
    ]
    payload: JsonObject = {}
    for _ in range(rng.randint(0, 4)):
        roll = rng.random()
        key = rng.choice(keys) if roll < 0.5 else f"k{rng.randint(0, 9)}"
        if depth < 2 and rng.random() < 0.3:
            payload[key] = _random_payload(rng, depth + 1)
        elif rng.random() < 0.2:
            payload[key] = [rng.choice(texts), rng.randint(0, 9), None]
        else:
            payload[key] = rng.choice([*texts, None, 7, True])
    return payload


def test_the_encoded_shortcut_never_skips_a_payload_redaction_would_change() -> None:
    rng = random.Random(20261201)
    changed = 0
    for _ in range(3000):
        payload = _random_payload(rng)
        redacted = redact(payload)
        encoded, stored = encode_redacted(payload)
        assert stored == redacted and encoded == encode_json(redacted)
        if redacted != payload:
            changed += 1
            assert may_need_redaction(encode_json(payload))
    assert changed > 1000, "the generator exercises redaction"


def test_a_clean_payload_is_stored_as_a_copy_the_caller_cannot_change_afterwards() -> None:
    payload: JsonObject = {"tool": "inventory_set_price", "args": {"sku": "SKU-1", "price_minor": 1299}}
    encoded, stored = encode_redacted(payload)
    assert stored == payload and not may_need_redaction(encoded)
    payload["args"]["sku"] = "SKU-2"  # type: ignore[index]
    assert stored["args"] == {"sku": "SKU-1", "price_minor": 1299}
