"""Notices when an approval waits or expires: a Slack-compatible webhook against a local receiver (with retries), SMTP
against a stdlib stub, once per approval and channel, no personal data, sent from a background thread."""

from __future__ import annotations

import json
import os
import socketserver
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cadencia.cli import app
from cadencia.tools.approvals import ApprovalStore, ApprovalTicket, request_hash
from cadencia.tools.approvals.notify import Notifier, NotifierThread
from cadencia.tools.approvals.outbox import FAILED, SENT, Outbox
from cadencia.tools.policy.notifications import Notifications
from cadencia.tools.policy.policy import PolicyError
from cadencia.tools.policy.server import load_server_policy

PII = ("ana.garcia@example.com", "+34 612 345 678", "static:ana", "private note")


class Receiver:
    """A local incoming-webhook endpoint answering 500 to the first `failures` posts, then 200 'ok'."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.hits = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.hits += 1
                ok = receiver.hits > receiver.failures
                if ok:
                    receiver.bodies.append(json.loads(body))
                self.send_response(200 if ok else 500)
                self.end_headers()
                self.wfile.write(b"ok" if ok else b"busy")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpStub(socketserver.ThreadingTCPServer):
    """Just enough SMTP (EHLO, MAIL, RCPT, DATA, QUIT) to receive what smtplib sends."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[str] = []
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 stub\r\n")
                while line := self.rfile.readline():
                    verb = line.decode().strip().split(" ")[0].upper()
                    if verb == "DATA":
                        self.wfile.write(b"354 go\r\n")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data.decode())
                        stub.messages.append("".join(lines))
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ApprovalStore]:
    opened = ApprovalStore.open(tmp_path / "approvals.db")
    yield opened
    opened.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def _ask(store: ApprovalStore, approval_id: str, *, expired: bool = False) -> None:
    args = {"segment_id": "SEG-1", "body": "Hi ana.garcia@example.com, call +34 612 345 678"}
    asked = datetime.now(UTC) - (timedelta(hours=25) if expired else timedelta(0))
    store.ask(
        ApprovalTicket(
            approval_id=approval_id,
            request_hash=request_hash("crm_send_message", args, subject="static:ana"),
            tool="crm_send_message",
            subject="static:ana",
            request={"arguments": args, "reversibility": "irreversible", "verdicts": [{"rule": "r"}], "note": "x"},
            requested_at=asked,
            expires_at=asked + timedelta(hours=24),
        )
    )


def _config(**fields: Any) -> Notifications:
    return Notifications.model_validate(
        {"inbox_url": "https://inbox.example", "retry": {"attempts": 4, "first_wait_seconds": 0.01}, **fields}
    )


def test_a_waiting_approval_is_posted_once_as_slack_json_with_its_link_and_no_personal_data(
    store: ApprovalStore, receiver: Receiver
) -> None:
    _ask(store, "srv-1")
    notifier = Notifier(store, _config(webhooks=[{"url": receiver.url}]))
    assert notifier.drain_once() == 1
    assert notifier.drain_once() == 0, "asked once, told once"
    (body,) = receiver.bodies
    assert set(body) == {"text", "blocks"} and body["blocks"][0]["type"] == "section"
    assert "srv-1" in body["text"] and "crm_send_message (irreversible" in body["text"]
    assert "1 verdict(s)" in body["text"] and "1 approval(s) waiting" in body["text"]
    assert "https://inbox.example/approvals/srv-1" in body["text"]
    assert not [p for p in PII if p in json.dumps(body)]


def test_a_failing_webhook_is_retried_with_backoff_then_delivered_or_marked_failed(
    store: ApprovalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky, dead = Receiver(failures=2), Receiver(failures=100)
    try:
        _ask(store, "srv-2")
        waits: list[float] = []
        notifier = Notifier(store, _config(webhooks=[{"url": flaky.url}, {"url_env": "DEAD_HOOK"}]), sleep=waits.append)
        monkeypatch.setenv("DEAD_HOOK", dead.url)
        notifier.drain_once()
        notices = {n.channel: n for n in notifier.outbox.all()}
        assert flaky.hits == 3 and len(flaky.bodies) == 1
        assert (notices[f"webhook:127.0.0.1:{flaky.server.server_address[1]}"].state, flaky.hits) == (SENT, 3)
        assert notices["webhook:DEAD_HOOK"].state == FAILED and notices["webhook:DEAD_HOOK"].attempts == 4
        assert "HTTP 500" in (notices["webhook:DEAD_HOOK"].last_error or "")
        assert dead.url not in (notices["webhook:DEAD_HOOK"].last_error or ""), "the secret URL is never stored"
        assert waits[:2] == sorted(waits[:2]) and waits[1] > waits[0], "the waits grow (exponential backoff)"
    finally:
        flaky.close()
        dead.close()


def test_an_expired_approval_is_mailed_over_smtp(store: ApprovalStore) -> None:
    smtp = SmtpStub()
    try:
        _ask(store, "srv-3", expired=True)
        mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp.server_address[1], "sender": "c@x.io", "to": ["ops@x.io"]}
        notifier = Notifier(store, _config(email=mail))
        assert notifier.drain_once() == 1
        (message,) = smtp.messages
        assert "Subject: [Cadencia] approval expired: crm_send_message (srv-3)" in message
        assert "expired without a timely answer" in message and "https://inbox.example/approvals/srv-3" in message
        assert not [p for p in PII if p in message]
    finally:
        smtp.shutdown()
        smtp.server_close()


def test_the_background_thread_notifies_while_the_asker_goes_on(store: ApprovalStore, receiver: Receiver) -> None:
    thread = NotifierThread(Notifier(store, _config(webhooks=[{"url": receiver.url}])), interval=0.05).start()
    try:
        _ask(store, "srv-4")
        deadline = time.monotonic() + 20
        while not receiver.bodies and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        thread.stop()
    assert receiver.bodies and "srv-4" in receiver.bodies[0]["text"]


def test_notifications_are_configured_in_the_server_policy_and_checked_by_field(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "notifications": {
                    "webhooks": [{"url_env": "SLACK_WEBHOOK_URL"}],
                    "email": {"smtp_host": "localhost", "sender": "cadencia@example.com", "to": ["ops@example.com"]},
                },
            }
        ),
        encoding="utf-8",
    )
    assert load_server_policy(good).notifications.enabled
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"version": 1, "notifications": {"webhooks": [{"url": "ftp://x"}]}}), "utf-8")
    with pytest.raises(PolicyError, match=r"notifications\.webhooks\.0\.url"):
        load_server_policy(bad)


@pytest.mark.postgres
def test_two_notifiers_on_one_postgresql_send_each_notice_once(receiver: Receiver) -> None:
    url = os.environ.get("CADENCIA_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL to run PostgreSQL tests")
    prefix = f"notice_t{uuid.uuid4().hex[:10]}"
    stores = [ApprovalStore.open(url, table_prefix=prefix) for _ in range(2)]
    try:
        for n in range(10):
            _ask(stores[0], f"srv-pg-{n}")
        notifiers = [Notifier(s, _config(webhooks=[{"url": receiver.url}])) for s in stores]
        barrier = threading.Barrier(2)

        def drain(notifier: Notifier) -> None:
            barrier.wait()
            notifier.drain_once()

        threads = [threading.Thread(target=drain, args=(n,)) for n in notifiers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = sorted(b["text"].split()[1] for b in receiver.bodies)
        assert sent == sorted(f"srv-pg-{n}" for n in range(10)), "every approval announced exactly once"
        assert {n.state for n in notifiers[1].outbox.all()} == {SENT}
    finally:
        for s in stores:
            s.table.metadata.drop_all(s.engine)
        Outbox(stores[0].engine, table_prefix=prefix).table.metadata.drop_all(stores[0].engine)
        for s in stores:
            s.close()


def test_the_notify_command_sends_what_is_due_once(tmp_path: Path, receiver: Receiver) -> None:
    store = ApprovalStore.open(tmp_path / "approvals.db")
    _ask(store, "srv-cli")
    store.close()
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"version": 1, "notifications": {"webhooks": [{"url": receiver.url}]}}), "utf-8")
    args = ["approvals", "notify", "--policy", str(policy), "--workdir", str(tmp_path), "--once"]
    first, second = CliRunner().invoke(app, args), CliRunner().invoke(app, args)
    assert (first.exit_code, second.exit_code) == (0, 0), first.output
    assert "1 notice(s) sent" in first.output and "0 notice(s) sent" in second.output
    assert len(receiver.bodies) == 1 and "srv-cli" in receiver.bodies[0]["text"]
    empty = tmp_path / "empty.yaml"
    empty.write_text("version: 1\n", "utf-8")
    refused = CliRunner().invoke(app, ["approvals", "notify", "--policy", str(empty), "--once"])
    assert refused.exit_code == 2 and "no notifications" in refused.output
