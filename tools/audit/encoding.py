"""Canonical JSON for audit payloads: sorted keys, no whitespace, UTF-8 kept; one encoder built once."""

from __future__ import annotations

import json

from pydantic import JsonValue

JsonObject = dict[str, JsonValue]
"""A JSON object: the shape of every audit payload."""

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_json(value: JsonValue) -> str:
    """Canonical JSON text of a JSON value (the same text `canonical_json` gives for JSON-compatible values)."""
    return _ENCODER.encode(value)
