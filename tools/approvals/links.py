"""The stable web address of one approval in `cadencia inbox`: what URL-mode elicitation and notifications link to."""

from __future__ import annotations

import os
from urllib.parse import quote

INBOX_URL_ENV = "CADENCIA_INBOX_URL"


def approval_url(base_url: str, approval_id: str) -> str:
    """`{base}/approvals/{id}`; the id is percent-encoded except its `run/action` slash, so the path stays stable."""
    return f"{base_url.rstrip('/')}/approvals/{quote(approval_id, safe='/')}"


def inbox_base_url() -> str | None:
    """Where the team's inbox is served (`$CADENCIA_INBOX_URL`), if set."""
    return os.environ.get(INBOX_URL_ENV) or None
