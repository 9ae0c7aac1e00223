"""Safety at the servers, for any MCP client: approvals (fallback path), budgets, freeze, audit of every write."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.mcp import call_error, call_ok
from helpers.reviews import unanswered
from mcp import Client
from sqlalchemy import select
from typer.testing import CliRunner

from cadencia.agents.mcp_client import memory_client
from cadencia.cli import app
from cadencia.servers.app import Capability, build_server, full_registry
from cadencia.servers.context import Backends, Scope
from cadencia.servers.safety.cli import answer_server_approval
from cadencia.servers.safety.guard import ServerSafety
from cadencia.servers.safety.setup import open_safety
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.policy.server import ServerPolicy, default_server_policy, parse_server_policy
from cadencia.tools.reviews.tables import review_replies
from cadencia.tools.store.journal import calls
from cadencia.tools.store.store import Store

BODY = "Thank you for your review, we are glad the texture suits you."
OTHER_BODY = "Thank you for taking the time to write, we are glad you like it."
APPROVAL_PREFIX = "approval required: "


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The workdir the CLI sees too (conftest points $CADENCIA_WORKDIR here)."""
    return tmp_path / "workdir"


@asynccontextmanager
async def guarded(
    backends: Backends,
    root: Path,
    policy: ServerPolicy | None = None,
    *,
    scopes: frozenset[Scope] = frozenset({"read", "write"}),
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[tuple[Client, ServerSafety]]:
    """An in-memory client of the combined server with a server policy (default: the shipped one)."""
    with open_safety(policy or default_server_policy(), root=root, registry=full_registry()) as safety:
        if clock is not None:
            safety.clock = clock
        server = build_server(Capability.ALL, backends=backends, safety=safety, default_scopes=scopes)
        async with memory_client(server) as session:
            yield session, safety


def replies(store: Store) -> int:
    with store.reading() as conn:
        return len(conn.execute(select(review_replies)).all())


def approval_id_in(text: str) -> str:
    assert APPROVAL_PREFIX in text, text
    return text.split(APPROVAL_PREFIX, 1)[1].split(" ", 1)[0]


def cli(*args: str) -> str:
    """`cadencia …` in another process (the approver is not the server)."""
    done = subprocess.run([sys.executable, "-m", "cadencia", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_an_irreversible_call_waits_for_a_person_and_does_not_run(backends: Backends, store: Store, root: Path):
    before = replies(store)
    review_id = unanswered(store)
    async with guarded(backends, root) as (s, _):
        text = await call_error(s, "reviews_reply_to_review", {"review_id": review_id, "body": BODY})
        approval_id = approval_id_in(text)
        assert text.startswith(f"{APPROVAL_PREFIX}{approval_id} — ")
        assert f'approve with "cadencia approvals approve {approval_id}" (or in the inbox)' in text
        assert f"then call again with approval_id={approval_id}" in text
        assert "irreversible" in text
        again = await call_error(s, "reviews_reply_to_review", {"review_id": review_id, "body": BODY})
        assert approval_id_in(again) == approval_id, "asking twice reuses the open approval"
    assert replies(store) == before


async def test_approved_in_a_second_process_the_retry_runs_once(backends: Backends, store: Store, root: Path):
    review_id = unanswered(store)
    args = {"review_id": review_id, "body": BODY}
    before = replies(store)
    async with guarded(backends, root) as (s, _):
        approval_id = approval_id_in(await call_error(s, "reviews_reply_to_review", args))
        listed = cli("approvals", "list", "--workdir", str(root))
        assert approval_id in listed and "reviews_reply_to_review" in listed
        assert "approved" in cli("approvals", "approve", approval_id, "--workdir", str(root))
        result = await call_ok(s, "reviews_reply_to_review", args | {"approval_id": approval_id})
        assert result["review_id"] == review_id
        second = await call_error(s, "reviews_reply_to_review", args | {"approval_id": approval_id})
        assert "already used" in second
    assert replies(store) == before + 1


async def test_a_rejected_approval_refuses_the_call(backends: Backends, store: Store, root: Path):
    before = replies(store)
    args = {"review_id": unanswered(store), "body": BODY}
    async with guarded(backends, root) as (s, _):
        approval_id = approval_id_in(await call_error(s, "reviews_reply_to_review", args))
        cli("approvals", "reject", approval_id, "--workdir", str(root))
        assert "rejected" in await call_error(s, "reviews_reply_to_review", args | {"approval_id": approval_id})
    assert replies(store) == before


async def test_changed_arguments_need_their_own_approval(backends: Backends, store: Store, root: Path):
    before = replies(store)
    review_id = unanswered(store)
    async with guarded(backends, root) as (s, _):
        approval_id = approval_id_in(
            await call_error(s, "reviews_reply_to_review", {"review_id": review_id, "body": BODY})
        )
        answer_server_approval(approval_id, approve=True, approver="alice", note="", root=root)
        changed = {"review_id": review_id, "body": OTHER_BODY, "approval_id": approval_id}
        text = await call_error(s, "reviews_reply_to_review", changed)
        assert "given for another call" in text
        assert approval_id_in(text) != approval_id
    assert replies(store) == before


async def test_an_answer_after_the_deadline_is_recorded_expired(backends: Backends, store: Store, root: Path):
    before = replies(store)
    args = {"review_id": unanswered(store), "body": BODY}
    asked_at = datetime.now(UTC) - timedelta(days=2)
    async with guarded(backends, root, clock=lambda: asked_at) as (s, safety):
        approval_id = approval_id_in(await call_error(s, "reviews_reply_to_review", args))
        record = answer_server_approval(approval_id, approve=True, approver="alice", note="", root=root)
        assert record.state.value == "expired"
        safety.clock = lambda: datetime.now(UTC)
        assert "expired" in await call_error(s, "reviews_reply_to_review", args | {"approval_id": approval_id})
    assert replies(store) == before


async def test_a_write_token_cannot_approve_and_nobody_approves_their_own_call(
    backends: Backends, store: Store, root: Path
):
    before = replies(store)
    args = {"review_id": unanswered(store), "body": BODY}
    async with guarded(backends, root) as (s, _):
        approval_id = approval_id_in(await call_error(s, "reviews_reply_to_review", args))
        text = await call_error(s, "approvals_answer", {"approval_id": approval_id, "decision": "approve"})
        assert "'approve' scope" in text
    async with guarded(backends, root, scopes=frozenset({"read", "write", "approve"})) as (s, _):
        pending = await call_ok(s, "approvals_list_pending")
        assert [p["approval_id"] for p in pending["items"]] == [approval_id]
        text = await call_error(s, "approvals_answer", {"approval_id": approval_id, "decision": "approve"})
        assert "cannot approve its own call" in text
        assert "approval required" in await call_error(
            s, "reviews_reply_to_review", args | {"approval_id": approval_id}
        )
    assert replies(store) == before


def _policy(**sections: Any) -> ServerPolicy:
    return parse_server_policy({"version": 1, "name": "test", **sections})


async def test_a_daily_budget_refuses_the_call_that_would_cross_it(backends: Backends, root: Path):
    policy = _policy(budgets={"prices_changed": 2})
    async with guarded(backends, root, policy) as (s, _):
        product = await call_ok(s, "inventory_get_product", {"sku": "ML-000001"})
        price = product["price_minor"]
        for step in (1, 2):
            args = {"sku": "ML-000001", "price_minor": price + step, "currency": product["currency"]}
            await call_ok(s, "inventory_set_price", args)
        third = {"sku": "ML-000001", "price_minor": price + 3, "currency": product["currency"]}
        text = await call_error(s, "inventory_set_price", third)
        assert "[budget_exceeded]" in text and "prices_changed: 2 used today + 1" in text and "limit 2" in text
        after = await call_ok(s, "inventory_get_product", {"sku": "ML-000001"})
        assert after["price_minor"] == price + 2


async def test_the_kill_switch_refuses_writes_while_reads_go_on(backends: Backends, root: Path):
    runner = CliRunner()
    args = {"sku": "ML-000001", "price_minor": 3100, "currency": "EUR"}
    async with guarded(backends, root, _policy()) as (s, _):
        assert runner.invoke(app, ["freeze", "on", "--reason", "incident 42", "--workdir", str(root)]).exit_code == 0
        text = await call_error(s, "inventory_set_price", args)
        assert "[frozen]" in text and "incident 42" in text and "cadencia freeze off" in text
        await call_ok(s, "inventory_get_product", {"sku": "ML-000001"})
        assert runner.invoke(app, ["freeze", "off", "--workdir", str(root)]).exit_code == 0
        await call_ok(s, "inventory_set_price", args)


async def test_a_freeze_window_in_the_policy_refuses_writes(backends: Backends, root: Path):
    now = datetime.now(UTC)
    window = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(hours=1)).isoformat()}
    policy = _policy(freeze=[window | {"reason": "launch week"}])
    async with guarded(backends, root, policy) as (s, _):
        text = await call_error(s, "inventory_set_price", {"sku": "ML-000001", "price_minor": 3100, "currency": "EUR"})
        assert "[frozen]" in text and "launch week" in text
        await call_ok(s, "inventory_list_products", {"limit": 2})


async def test_every_write_is_audited_and_reads_are_only_counted(backends: Backends, root: Path):
    async with guarded(backends, root, _policy()) as (s, safety):
        await call_ok(s, "inventory_list_products", {"limit": 2})
        changed = await call_ok(s, "inventory_set_price", {"sku": "ML-000001", "price_minor": 3100, "currency": "EUR"})
        safety.close()
        reads = safety.usage.used("local", datetime.now(UTC).date().isoformat())["reads"]
    assert reads == 1
    with AuditLog.open(root / "audit.db", key_path=root / "audit-signing-key.pem") as log:
        records = log.records(run_id="mcp:local")
        assert [r.kind for r in records] == [AuditKind.EXECUTION]
        payload = records[0].payload
        assert payload["tool"] == "inventory_set_price" and payload["subject"] == "local"
        assert payload["undo_token"] == changed["undo_token"]
        assert log.verify().ok


async def test_the_store_names_each_guarded_call_for_the_audit(backends: Backends, store: Store, root: Path):
    async with guarded(backends, root, _policy()) as (s, _):
        await call_ok(s, "inventory_set_price", {"sku": "ML-000001", "price_minor": 3100, "currency": "EUR"})
    with store.reading() as conn:
        principal = conn.execute(select(calls.c.principal).where(calls.c.tool == "set_price")).scalar_one()
    with AuditLog.open(root / "audit.db", key_path=root / "audit-signing-key.pem") as log:
        assert log.records(run_id="mcp:local")[0].payload["call_ref"] == principal


async def test_verify_names_a_call_that_ran_but_never_reached_the_audit(
    backends: Backends, store: Store, root: Path, monkeypatch: pytest.MonkeyPatch
):
    async with guarded(backends, root, _policy()) as (s, safety):
        assert safety.audit is not None
        monkeypatch.setattr(safety.audit, "append", _crash)
        await call_ok(s, "inventory_set_price", {"sku": "ML-000001", "price_minor": 3100, "currency": "EUR"})
    with store.reading() as conn:
        ref = conn.execute(select(calls.c.principal).where(calls.c.tool == "set_price")).scalar_one()
    calls_db = str(store.engine.url)
    result = CliRunner().invoke(app, ["audit", "verify", "--workdir", str(root), "--calls-db", calls_db])
    assert result.exit_code == 1, result.output
    assert "Calls missing from the audit log: 1" in result.output and ref in result.output


def _crash(**_: Any) -> None:
    raise OSError("disk gone between execute and append")
