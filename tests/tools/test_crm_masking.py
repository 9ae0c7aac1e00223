"""PII masking of contact fields and detection of raw PII in outgoing copy."""

from __future__ import annotations

from cadencia.tools.crm.masking import find_pii, mask_email, mask_last_name, mask_phone, redact_text


def test_email_keeps_only_the_first_letter_and_the_domain() -> None:
    assert mask_email("laura.gil.12@example.com") == "l***@example.com"
    assert mask_email("not-an-email") == "***"


def test_phone_keeps_country_code_first_digit_and_last_two() -> None:
    assert mask_phone("+34 612345612") == "+34 6******12"
    assert mask_phone("+1 55512345678") == "+1 5********78"
    assert mask_phone("612345678") == "612****78"


def test_last_name_becomes_an_initial() -> None:
    assert mask_last_name("García") == "G."
    assert mask_last_name("") == ""


def test_notes_are_redacted_of_emails_and_phone_numbers() -> None:
    note = "Call her at +34 612 345 678 or write to ana.ruiz@example.com before 2026-03-02."
    assert redact_text(note) == "Call her at [phone] or write to a***@example.com before 2026-03-02."


def test_copy_checks_find_emails_and_phones_but_not_dates_or_prices() -> None:
    assert find_pii("Questions? maria@example.org") == ["email"]
    assert find_pii("Text us on +57 300 123 4567") == ["phone"]
    assert find_pii("Offer ends 2026-03-31; 2 for 39.90 EUR; order 123456") == []
