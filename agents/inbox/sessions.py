"""Inbox logins: a bearer token (checked as `cadencia serve` checks it, `approve` scope required) buys a short
server-side session, named by an HttpOnly SameSite=Strict cookie and carrying its own CSRF token."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mcp.server.auth.provider import AccessToken, TokenVerifier

COOKIE = "cadencia_inbox"
SESSION_HOURS = 8
REQUIRED_SCOPE = "approve"


class LoginRefused(PermissionError):
    """The token was not accepted, or lacks the approve scope; says which (never echoes the token)."""


@dataclass(frozen=True)
class InboxSession:
    subject: str
    csrf: str
    expires_at: datetime

    def csrf_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self.csrf.encode())


class Sessions:
    """Live sessions of one inbox process (a restart logs everyone out, which is the safe direction)."""

    def __init__(self, verifier: TokenVerifier, *, hours: int = SESSION_HOURS) -> None:
        self.verifier = verifier
        self.lifetime = timedelta(hours=hours)
        self._live: dict[str, InboxSession] = {}
        self._lock = threading.Lock()

    async def login(self, token: str) -> tuple[str, InboxSession]:
        """A new session id and session for a valid token with the approve scope."""
        access: AccessToken | None = await self.verifier.verify_token(token.strip()) if token.strip() else None
        if access is None:
            raise LoginRefused("that token is not valid here")
        if REQUIRED_SCOPE not in access.scopes:
            raise LoginRefused(f"that token lacks the {REQUIRED_SCOPE} scope, which answering approvals needs")
        session_id = secrets.token_urlsafe(32)
        session = InboxSession(
            subject=access.subject or access.client_id,
            csrf=secrets.token_urlsafe(32),
            expires_at=datetime.now(UTC) + self.lifetime,
        )
        with self._lock:
            self._live[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> InboxSession | None:
        if not session_id:
            return None
        with self._lock:
            session = self._live.get(session_id)
            if session is not None and session.expires_at < datetime.now(UTC):
                del self._live[session_id]
                return None
        return session

    def logout(self, session_id: str | None) -> None:
        with self._lock:
            self._live.pop(session_id or "", None)
