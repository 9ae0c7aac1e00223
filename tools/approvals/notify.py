"""Tell people when an approval waits or expires: Slack-compatible webhooks and SMTP email, from a background thread.

A notice carries no personal data: the approval id, tool, reversibility class, counts (verdicts, approvals waiting)
and the inbox link; never arguments, notes, message bodies or who asked. Each notice is retried with exponential
backoff (tenacity) and then marked failed; the run that asked never waits for any of it.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
from tenacity import Retrying, stop_after_attempt, wait_exponential

from cadencia.tools.approvals.links import approval_url, inbox_base_url
from cadencia.tools.approvals.models import ApprovalRecord, ApprovalState
from cadencia.tools.approvals.outbox import Notice, Outbox
from cadencia.tools.approvals.store import ApprovalStore
from cadencia.tools.policy.notifications import Email, NoticeEvent, Notifications, Webhook

log = logging.getLogger(__name__)
SCAN_LIMIT = 500
EXPIRY_LOOKBACK = timedelta(days=1)
"""Expiries older than this when a drainer first sees them are not announced (no flood on first start)."""


@dataclass(frozen=True)
class NoticeText:
    """What a notice says, in a subject line and a body (both free of personal data)."""

    subject: str
    body: str
    link: str | None


def _reversibility(record: ApprovalRecord) -> str:
    request = record.request if isinstance(record.request, dict) else {}
    value = request.get("reversibility")
    return str(value) if isinstance(value, str) else "unknown"


def _verdicts(record: ApprovalRecord) -> int:
    request = record.request if isinstance(record.request, dict) else {}
    verdicts = request.get("verdicts")
    return len(verdicts) if isinstance(verdicts, list) else 0


def notice_text(record: ApprovalRecord, event: str, *, waiting: int, base_url: str | None) -> NoticeText:
    """The notice for one approval: ids, tool, class, counts and the link only."""
    link = approval_url(base_url, record.approval_id) if base_url else None
    kind = "run" if record.run_id else "server call"
    if event == NoticeEvent.WAITING:
        subject = f"[Cadencia] approval waiting: {record.tool} ({record.approval_id})"
        first = (
            f"Approval {record.approval_id} waits for a person: {record.tool} ({_reversibility(record)}, {kind}),"
            f" {_verdicts(record)} verdict(s); expires {record.expires_at.isoformat(timespec='minutes')}."
        )
    else:
        subject = f"[Cadencia] approval expired: {record.tool} ({record.approval_id})"
        first = (
            f"Approval {record.approval_id} expired without a timely answer: {record.tool}"
            f" ({_reversibility(record)}, {kind}); it will not run."
        )
    lines = [first, f"{waiting} approval(s) waiting in total."]
    if link:
        lines.append(f"Open: {link}")
    return NoticeText(subject=subject, body="\n".join(lines), link=link)


def slack_payload(text: NoticeText) -> dict[str, object]:
    """Slack's incoming-webhook JSON: `text` (what every compatible receiver reads) plus a section block."""
    shown = text.body if text.link is None else text.body.replace(f"Open: {text.link}", f"<{text.link}|Open in inbox>")
    return {"text": text.body, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": shown}}]}


def send_webhook(hook: Webhook, text: NoticeText, *, timeout: float = 10.0) -> None:
    url = hook.resolved_url()
    if url is None:
        raise RuntimeError(f"{hook.url_env} is not set")
    response = httpx.post(url, json=slack_payload(text), timeout=timeout)
    if response.status_code >= 300:
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")


def send_email(mail: Email, text: NoticeText, *, timeout: float = 10.0) -> None:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = text.subject
    message.set_content(text.body)
    with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=timeout) as smtp:
        if mail.starttls:
            smtp.starttls(context=ssl.create_default_context())
        user = os.environ.get(mail.username_env or "")
        if user:
            smtp.login(user, os.environ.get(mail.password_env or "", ""))
        smtp.send_message(message)


Sender = Callable[[NoticeText], None]


class Notifier:
    """Finds approvals to announce, queues a notice per channel in the outbox, and sends what it claims."""

    def __init__(
        self,
        store: ApprovalStore,
        config: Notifications,
        *,
        base_url: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.outbox = Outbox(store.engine, table_prefix=store.table.name.removesuffix("_approvals"))
        self.base_url = config.inbox_url or base_url or inbox_base_url()
        self.clock = clock
        self.sleep = sleep
        self.senders: dict[str, Sender] = {h.name: (lambda t, h=h: send_webhook(h, t)) for h in config.webhooks}
        if config.email is not None:
            mail = config.email
            self.senders[mail.name] = lambda t: send_email(mail, t)

    def queue_new(self) -> int:
        """Queue notices for approvals that started waiting or expired since they were last seen."""
        now = self.clock()
        added = 0
        for record in self.store.latest(limit=SCAN_LIMIT):
            event = self._event(record, now)
            if event is not None and event in self.config.on:
                added += self.outbox.queue(
                    record.approval_id, record.request_hash, event.value, list(self.senders), at=now
                )
        return added

    @staticmethod
    def _event(record: ApprovalRecord, now: datetime) -> NoticeEvent | None:
        if record.state is ApprovalState.PENDING and now <= record.expires_at:
            return NoticeEvent.WAITING
        expired = record.state is ApprovalState.EXPIRED or record.state is ApprovalState.PENDING
        if expired and record.expires_at >= now - EXPIRY_LOOKBACK:
            return NoticeEvent.EXPIRED
        return None

    def send_claimed(self) -> int:
        """Send every notice this process claims; returns how many were delivered."""
        sent = 0
        waiting = len(self.store.pending(at=self.clock()))
        for notice in self.outbox.claim(at=self.clock()):
            sent += self._send(notice, waiting=waiting)
        return sent

    def _send(self, notice: Notice, *, waiting: int) -> int:
        record = next(
            (r for r in self.store.with_id(notice.approval_id) if r.request_hash == notice.request_hash), None
        )
        sender = self.senders.get(notice.channel)
        if record is None or sender is None:
            self.outbox.settle(notice, sent=False, attempts=0, error="approval or channel gone", at=self.clock())
            return 0
        text = notice_text(record, notice.event, waiting=waiting, base_url=self.base_url)
        retry = self.config.retry
        retrying = Retrying(
            stop=stop_after_attempt(retry.attempts),
            wait=wait_exponential(multiplier=retry.first_wait_seconds, max=retry.max_wait_seconds),
            reraise=True,
            **({"sleep": self.sleep} if self.sleep is not None else {}),
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    sender(text)
        except Exception as exc:  # any failure of the channel: recorded (class and message, no URL), never raised
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
            log.warning("notice %s/%s via %s failed after %d tries: %s", *_ids(notice), attempts, error)
            self.outbox.settle(notice, sent=False, attempts=attempts, error=error, at=self.clock())
            return 0
        self.outbox.settle(notice, sent=True, attempts=attempts, error=None, at=self.clock())
        return 1

    def drain_once(self) -> int:
        self.queue_new()
        return self.send_claimed()


def _ids(notice: Notice) -> tuple[str, str, str]:
    return notice.approval_id, notice.event, notice.channel


class NotifierThread:
    """Drains the outbox every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, notifier: Notifier, *, interval: float = 15.0) -> None:
        self.notifier = notifier
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cadencia-notifier", daemon=True)

    def start(self) -> NotifierThread:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.notifier.drain_once()
            except Exception:  # a database hiccup must not end the loop: the next round retries
                log.exception("notification round failed")
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
