"""Bearer-token auth for the HTTP transport: static tokens with scopes, checked by the SDK's verifier hook.

Tokens are compared in constant time and never logged or echoed back.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from mcp.server.auth.provider import AccessToken, TokenVerifier

from cadencia.servers.context import Scope

_refusal: contextvars.ContextVar[str | None] = contextvars.ContextVar("cadencia_token_refusal", default=None)


@dataclass(frozen=True)
class JwtSettings:
    """Which JWT access tokens a server accepts (checked by `servers.jwt_auth`, which loads PyJWT only when used)."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    public_key_pem: str | None = None


def refuse(reason: str) -> None:
    """Record why this request's token was refused, for its `WWW-Authenticate` header (never the token itself)."""
    _refusal.set(reason)


def refusal_reason() -> str | None:
    """Why the current request's token was refused (set by a verifier in this request's context)."""
    return _refusal.get()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class StaticTokenVerifier(TokenVerifier):
    """Accepts a fixed set of tokens, each with its scopes (`read`, `write`, `pii`)."""

    def __init__(self, tokens: Mapping[str, frozenset[Scope]]) -> None:
        self._tokens: list[tuple[bytes, frozenset[str], str]] = [
            (_digest(token), frozenset(scopes), f"token-{i}") for i, (token, scopes) in enumerate(tokens.items())
        ]

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = _digest(token)
        for digest, scopes, client_id in self._tokens:
            if hmac.compare_digest(presented, digest):
                return AccessToken(
                    token=token, client_id=client_id, scopes=sorted(scopes), subject=f"static:{client_id}"
                )
        return None


def parse_token_spec(spec: str) -> tuple[str, frozenset[Scope]]:
    """`TOKEN:read,write` → (token, scopes). Unknown scopes are an error naming them."""
    token, _, scope_text = spec.partition(":")
    scopes = {s.strip() for s in (scope_text or "read").split(",") if s.strip()}
    unknown = scopes - {"read", "write", "pii", "approve"}
    if not token or unknown:
        raise ValueError(f"token spec must look like TOKEN:read,write,pii,approve (unknown scopes: {sorted(unknown)})")
    return token, frozenset(scopes)  # type: ignore[arg-type]


def new_token() -> str:
    return secrets.token_urlsafe(32)


class EitherVerifier(TokenVerifier):
    """Static tokens first (local use), then the JWT verifier."""

    def __init__(self, *verifiers: TokenVerifier) -> None:
        self.verifiers = verifiers

    async def verify_token(self, token: str) -> AccessToken | None:
        for verifier in self.verifiers:
            found = await verifier.verify_token(token)
            if found is not None:
                return found
        return None
