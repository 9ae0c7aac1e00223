"""Credentials held as opaque values and a scrubber that removes them from any text leaving an adapter."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

from cadencia.tools.errors import NotSupported

MASK = "***"


class Scrubber:
    """Replaces every known secret (raw and URL-encoded) with `***`; refreshed tokens are added as they come."""

    def __init__(self, secrets: Iterable[str | SecretStr] = ()) -> None:
        self._values: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | SecretStr | None) -> None:
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if value and len(value) >= 4:
            self._values |= {value, quote(value, safe=""), quote_plus(value)}

    def __call__(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


def unsupported(vendor: str, tool: str, why: str) -> NotSupported:
    """The one wording of a tool a vendor backend cannot serve (the README table lists them)."""
    return NotSupported(f"{tool} is not supported by {vendor}: {why}", rule="not_supported")
