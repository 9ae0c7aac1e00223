"""Whom to tell when an approval waits or expires: Slack-compatible webhooks and email, set in the server policy.

Secrets stay out of the policy file: a webhook URL (which is a credential for Slack) and SMTP passwords may be
named by environment variable instead (`url_env`, `password_env`).
"""

from __future__ import annotations

import os
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class NoticeEvent(StrEnum):
    WAITING = "waiting"
    EXPIRED = "expired"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Webhook(_Strict):
    """An incoming webhook taking Slack's JSON (`{"text": …}`): Slack, Mattermost, Rocket.Chat, Teams workflows."""

    url: str | None = Field(
        None, pattern=r"^https?://", description="The webhook URL (prefer url_env: it is a secret)."
    )
    url_env: str | None = Field(None, description="Environment variable holding the URL.")

    @model_validator(mode="after")
    def _one_source(self) -> Webhook:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url or url_env")
        return self

    def resolved_url(self) -> str | None:
        return self.url or os.environ.get(self.url_env or "") or None

    @property
    def name(self) -> str:
        """How the outbox names this channel (never the URL itself, which is a secret)."""
        return f"webhook:{self.url_env}" if self.url_env else f"webhook:{(self.url or '').split('/')[2]}"


class Email(_Strict):
    """Mail through an SMTP relay (stdlib smtplib)."""

    smtp_host: str = Field(min_length=1)
    smtp_port: int = Field(25, ge=1, le=65535)
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS before sending.")
    username_env: str | None = Field(None, description="Environment variable holding the SMTP user name.")
    password_env: str | None = Field(None, description="Environment variable holding the SMTP password.")
    sender: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[str] = Field(min_length=1, description="Recipients (a team address, not customers).")

    @property
    def name(self) -> str:
        return f"email:{self.smtp_host}"


class Retry(_Strict):
    attempts: int = Field(5, ge=1, le=20, description="Tries per notice before it is marked failed.")
    first_wait_seconds: float = Field(1.0, gt=0, le=600, description="Wait after the first failure; doubles after.")
    max_wait_seconds: float = Field(60.0, gt=0, le=3600)


class Notifications(_Strict):
    """Notices for approvals: sent by `cadencia inbox` in the background, retried, never holding up a run."""

    on: list[NoticeEvent] = Field(default_factory=lambda: [NoticeEvent.WAITING, NoticeEvent.EXPIRED])
    webhooks: list[Webhook] = Field(default_factory=list)
    email: Email | None = None
    inbox_url: str | None = Field(
        None, pattern=r"^https?://", description="Base URL of the inbox the notices link to (else $CADENCIA_INBOX_URL)."
    )
    retry: Retry = Retry()

    @property
    def enabled(self) -> bool:
        return bool(self.on) and (bool(self.webhooks) or self.email is not None)
