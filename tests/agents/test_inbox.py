"""`cadencia inbox`: token login (approve scope), CSRF, same-origin, no-store and security headers; server approvals
answered in the store; a paused run's approval edited from the browser is guarded again and can be refused."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.inbox import APPROVER_TOKEN, READER_TOKEN, paused_run, server_ticket
from starlette.testclient import TestClient

from cadencia.agents.inbox.app import InboxConfig, inbox_app
from cadencia.agents.workdir import Workdir
from cadencia.servers.auth import StaticTokenVerifier
from cadencia.servers.safety.errors import ApprovalRequired
from cadencia.tools.approvals import ApprovalState, ApprovalStore
from cadencia.tools.approvals.links import approval_url

ORIGIN = "http://testserver"
Inbox = tuple[TestClient, ApprovalStore, Workdir]


def _client(workdir: Workdir, store: ApprovalStore) -> TestClient:
    config = InboxConfig(
        workdir=workdir,
        approvals=store,
        verifier=StaticTokenVerifier({APPROVER_TOKEN: frozenset({"approve"}), READER_TOKEN: frozenset({"read"})}),
        allowed_hosts=["testserver"],
        allowed_origins=[ORIGIN],
    )
    return TestClient(inbox_app(config), follow_redirects=False)


def _login(client: TestClient, token: str = APPROVER_TOKEN) -> str:
    done = client.post("/login", data={"token": token}, headers={"origin": ORIGIN})
    assert done.status_code == 303, done.text
    page = client.get("/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    workdir = Workdir.at(tmp_path / "work")
    store = ApprovalStore.open(workdir.approvals)
    server_ticket(store, "srv-pending")
    server_ticket(store, "srv-old", expired=True)
    with _client(workdir, store) as client:
        yield client, store, workdir
    store.close()


def test_every_page_needs_an_approve_scoped_token_and_sends_no_store_and_security_headers(inbox: Inbox) -> None:
    client, _, _ = inbox
    assert client.get("/healthz").text == "ok"
    first = client.get("/approvals/srv-pending")
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/approvals/srv-pending"
    login = client.get("/login")
    assert login.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    assert login.headers["x-content-type-options"] == "nosniff" and login.headers["x-frame-options"] == "DENY"
    assert '<label for="token">' in login.text
    wrong = client.post("/login", data={"token": "guess"}, headers={"origin": ORIGIN})
    assert wrong.status_code == 401 and "not valid" in wrong.text and "guess" not in wrong.text
    reader = client.post("/login", data={"token": READER_TOKEN}, headers={"origin": ORIGIN})
    assert reader.status_code == 401 and "lacks the approve scope" in reader.text
    assert client.get("/").status_code == 303, "a refused login opens no session"
    _login(client)
    listing = client.get("/")
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    cookie = next(c for c in client.cookies.jar if c.name == "cadencia_inbox")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "strict"


def test_lists_pending_and_expired_with_the_action_in_words_and_its_facts(inbox: Inbox) -> None:
    client, store, _ = inbox
    _login(client)
    page = client.get("/").text
    pending, expired = page.split('id="h-answered"')[0], page.split('id="h-expired"')[1]
    assert "srv-pending" in pending and "srv-old" not in pending
    assert "srv-old" in expired
    detail = client.get("/approvals/srv-pending").text
    record = store.with_id("srv-pending")[0]
    for shown in ("crm_send_message(message_id=MSG-srv-pending", "irreversible", "contacts_messaged: 42"):
        assert shown in detail
    assert record.request_hash in detail and "irreversible_needs_approval" in detail
    assert 'name="decision" value="approve"' in detail and 'value="edit"' not in detail, "server calls are not edited"
    assert "cannot be answered" in client.get("/approvals/srv-old").text


def test_posts_need_the_sessions_csrf_token_and_this_origin(inbox: Inbox) -> None:
    client, store, _ = inbox
    csrf = _login(client)
    form = {"decision": "approve", "csrf": csrf}
    evil = client.post("/approvals/srv-pending", data=form, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403 and "cross-origin" in evil.text
    bare = client.post("/approvals/srv-pending", data=form)
    assert bare.status_code == 403, "a POST with neither Origin nor Referer is refused"
    forged = client.post("/approvals/srv-pending", data={**form, "csrf": "x" * 43}, headers={"origin": ORIGIN})
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400
    assert store.with_id("srv-pending")[0].state is ApprovalState.PENDING, "nothing was answered"
    via_referer = client.post("/approvals/srv-pending", data=form, headers={"referer": f"{ORIGIN}/approvals/x"})
    assert via_referer.status_code == 303
    assert store.with_id("srv-pending")[0].state is ApprovalState.APPROVED


def test_server_approvals_are_approved_or_rejected_with_a_note_never_by_their_caller(inbox: Inbox) -> None:
    client, store, _ = inbox
    server_ticket(store, "srv-mine", subject="static:token-0")
    csrf = _login(client)
    post = {"headers": {"origin": ORIGIN}}
    client.post("/approvals/srv-pending", data={"decision": "reject", "note": "not to VIPs", "csrf": csrf}, **post)
    record = store.with_id("srv-pending")[0]
    assert (record.state, record.note) == (ApprovalState.REJECTED, "not to VIPs")
    assert record.approver == "inbox:static:token-0"
    assert "Rejected srv-pending" in client.get("/approvals/srv-pending").text
    mine = client.get("/approvals/srv-mine").text
    assert "cannot answer it" in mine and 'value="approve"' not in mine
    client.post("/approvals/srv-mine", data={"decision": "approve", "csrf": csrf}, **post)
    assert store.with_id("srv-mine")[0].state is ApprovalState.PENDING
    assert "cannot approve its own call" in client.get("/approvals/srv-mine").text
    late = client.post("/approvals/srv-old", data={"decision": "approve", "csrf": csrf}, **post)
    assert late.status_code == 303 and store.with_id("srv-old")[0].state is ApprovalState.EXPIRED


def test_the_stable_approval_url_is_what_the_inbox_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    assert approval_url("https://inbox.example/", "run-1/c0.4") == "https://inbox.example/approvals/run-1/c0.4"
    assert approval_url("http://127.0.0.1:8766", "srv-ab12") == "http://127.0.0.1:8766/approvals/srv-ab12"
    monkeypatch.setenv("CADENCIA_INBOX_URL", "https://inbox.example")
    assert "(or at https://inbox.example/approvals/srv-ab12)" in str(ApprovalRequired("srv-ab12", "irreversible"))


def test_an_edit_from_the_inbox_is_guarded_again_refused_and_the_timeline_proves_it(
    tmp_path: Path, seeded_sqlite_template: Path
) -> None:
    paused = paused_run(tmp_path, seeded_sqlite_template)
    store = ApprovalStore.open(paused.workdir.approvals)
    try:
        with _client(paused.workdir, store) as client:
            csrf = _login(client)
            page = client.get(approval_url("", paused.approval_id)).text
            assert 'value="edit"' in page and "Edited arguments" in page
            digest = re.search(r'name="request_hash" value="([0-9a-f]{64})"', page)
            assert digest is not None
            bad_json = client.post(
                approval_url("", paused.approval_id),
                data={"decision": "edit", "arguments": "{oops", "csrf": csrf, "request_hash": digest.group(1)},
                headers={"origin": ORIGIN},
            )
            assert bad_json.status_code == 303
            assert "arguments: not valid JSON" in client.get(approval_url("", paused.approval_id)).text
            args = store.with_id(paused.approval_id)[0].request["effective_args"]  # type: ignore[index]
            args = {**args, "body": "Call me at +34 612 345 678 or write to ana.garcia@example.com"}
            client.post(
                approval_url("", paused.approval_id),
                data={
                    "decision": "edit",
                    "arguments": json.dumps(args),
                    "note": "kinder",
                    "csrf": csrf,
                    "request_hash": digest.group(1),
                },
                headers={"origin": ORIGIN},
            )
            after = client.get(approval_url("", paused.approval_id)).text
            assert "guarded again and refused" in after and "nothing ran" in after
            record = store.with_id(paused.approval_id)[0]
            assert record.state is ApprovalState.EDITED and record.approver == "inbox:static:token-0"
            timeline = client.get("/runs/r").text
            assert "approval" in timeline and "/audit/1/proof" in timeline
            proof = client.get("/audit/1/proof").text
            assert "Verifies against" in proof
    finally:
        store.close()


def test_an_expired_approval_of_a_paused_run_is_closed_as_expired_and_the_run_goes_on(
    tmp_path: Path, seeded_sqlite_template: Path
) -> None:
    paused = paused_run(tmp_path, seeded_sqlite_template, approval_timeout_hours=0.0002)  # under a second
    store = ApprovalStore.open(paused.workdir.approvals)
    try:
        deadline = store.with_id(paused.approval_id)[0].expires_at
        while datetime.now(UTC) <= deadline:
            time.sleep(0.05)
        with _client(paused.workdir, store) as client:
            csrf = _login(client)
            page = client.get(approval_url("", paused.approval_id)).text
            assert "has expired" in page and 'value="approve"' not in page and "Record as expired" in page
            digest = store.with_id(paused.approval_id)[0].request_hash
            form = {"decision": "reject", "csrf": csrf, "request_hash": digest}
            client.post(approval_url("", paused.approval_id), data=form, headers={"origin": ORIGIN})
            assert f"{paused.approval_id} expired" in client.get(approval_url("", paused.approval_id)).text
        assert store.with_id(paused.approval_id)[0].state is ApprovalState.EXPIRED
    finally:
        store.close()
