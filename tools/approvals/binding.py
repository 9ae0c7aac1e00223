"""The hash an approval is bound to: one exact request (tool and canonical arguments), optionally one requester."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from pydantic import JsonValue

from cadencia.tools.store.canonical import canonical_json


def request_hash(tool: str, args: Mapping[str, JsonValue], *, subject: str | None = None) -> str:
    """SHA-256 of the canonical request; with `subject` (a token's subject) the approval is theirs alone."""
    bound: dict[str, JsonValue] = {"tool": tool, "args": dict(args)}
    if subject is not None:
        bound["subject"] = subject
    return hashlib.sha256(canonical_json(bound).encode()).hexdigest()
