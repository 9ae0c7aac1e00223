"""A retried call (same idempotency key) that the backends answer from their record: audited once as executed and
once as a replay, charged to the daily budgets once, and allowed to reuse the approval its first run used."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.mcp import call_error, call_ok
from sqlalchemy import func, select
from test_server_safety import (
    BODY,
    OTHER_BODY,
    _policy,
    approval_id_in,
    guarded,
    replies,
    unanswered,
)

from cadencia.servers.app import full_registry
from cadencia.servers.context import Backends
from cadencia.servers.safety.call import ToolCall
from cadencia.servers.safety.cli import answer_server_approval
from cadencia.servers.safety.errors import ApprovalRequired
from cadencia.servers.safety.facts import BackendFacts
from cadencia.servers.safety.guard import PolicyView
from cadencia.servers.safety.setup import open_safety
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.errors import PolicyViolation
from cadencia.tools.limits import Limits
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.store.journal import calls
from cadencia.tools.store.store import Store

SKU = "ML-000001"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The workdir the CLI sees too (conftest points $CADENCIA_WORKDIR here)."""
    return tmp_path / "workdir"


def audited(root: Path) -> list[tuple[AuditKind, dict]]:
    with AuditLog.open(root / "audit.db", key_path=root / "audit-signing-key.pem") as log:
        assert log.verify().ok, "the chain stays valid with replay records in it"
        return [(r.kind, r.payload) for r in log.records() if r.run_id.startswith("mcp:")]


async def test_a_retried_key_is_audited_once_as_executed_and_charged_once(backends: Backends, root: Path):
    policy = _policy(budgets={"prices_changed": 1})
    async with guarded(backends, root, policy) as (s, safety):
        product = await call_ok(s, "inventory_get_product", {"sku": SKU})
        args = {"sku": SKU, "price_minor": product["price_minor"] + 7, "currency": product["currency"]}
        first = await call_ok(s, "inventory_set_price", args | {"idempotency_key": "price-once"})
        again = await call_ok(s, "inventory_set_price", args | {"idempotency_key": "price-once"})
        assert again == first, "the retry gets the stored result"
        day = safety.clock().date().isoformat()
        assert safety.usage.used("local", day).get("prices_changed") == 1, "the replay is not charged again"
        other = args | {"price_minor": args["price_minor"] + 1, "idempotency_key": "price-other"}
        assert "[budget_exceeded]" in await call_error(s, "inventory_set_price", other), "a new call still counts"
    records = audited(root)
    kinds = Counter(kind for kind, p in records if p.get("idempotency_key") == "price-once")
    assert kinds == {AuditKind.EXECUTION: 1, AuditKind.REPLAY: 1}
    executed = next(p for k, p in records if k is AuditKind.EXECUTION and p["idempotency_key"] == "price-once")
    replayed = next(p for k, p in records if k is AuditKind.REPLAY)
    assert replayed["outcome"] == "replayed" and replayed["original_call_ref"] == executed["call_ref"]
    assert replayed["call_ref"] != executed["call_ref"]


async def test_a_retry_of_an_approved_call_with_its_key_replays_and_another_key_is_refused(
    backends: Backends, store: Store, root: Path
):
    review_id = unanswered(store)
    args = {"review_id": review_id, "body": BODY, "idempotency_key": "reply-once"}
    before = replies(store)
    async with guarded(backends, root) as (s, _):
        approval_id = approval_id_in(await call_error(s, "reviews_reply_to_review", args))
        answer_server_approval(approval_id, approve=True, approver="ops", note="", root=root)
        approved = args | {"approval_id": approval_id}
        first = await call_ok(s, "reviews_reply_to_review", approved)
        retry = await call_ok(s, "reviews_reply_to_review", approved)
        assert retry == first
        other = approved | {"idempotency_key": "reply-other"}
        assert "already used" in await call_error(s, "reviews_reply_to_review", other)
        changed = approved | {"body": OTHER_BODY}
        assert "approval required" in await call_error(s, "reviews_reply_to_review", changed)
    assert replies(store) == before + 1
    kinds = Counter(kind for kind, p in audited(root) if p.get("idempotency_key") == "reply-once")
    assert kinds[AuditKind.EXECUTION] == 1 and kinds[AuditKind.REPLAY] == 1


async def test_two_copies_of_one_key_racing_run_once_and_are_charged_once(any_store: Store, limits: Limits, root: Path):
    """Both copies pass the guard before either commits; the store (PostgreSQL: a wait on the key) runs one and
    replays it to the other, and the key's charge is taken once."""
    backends = sandbox_backends(any_store, limits)
    product = await backends.inventory.get_product(sku=SKU)
    args = {"sku": SKU, "price_minor": product.price_minor + 9, "currency": product.currency}
    call = ToolCall(
        tool="inventory_set_price",
        reversibility=full_registry()["inventory_set_price"],
        args=args | {"idempotency_key": "price-race"},
        subject="local",
    )

    async def execute() -> object:
        return await backends.inventory.set_price(**args, idempotency_key="price-race")

    with open_safety(_policy(budgets={"prices_changed": 5}), root=root, registry=full_registry()) as safety:
        results = await asyncio.gather(safety.call(call, backends, execute), safety.call(call, backends, execute))
        assert results[0] == results[1]
        assert safety.usage.used("local", safety.clock().date().isoformat()) == {"prices_changed": 1}
    with any_store.reading() as conn:
        ran = conn.execute(select(func.count()).where(calls.c.idempotency_key == "price-race")).scalar_one()
    assert ran == 1
    kinds = Counter(kind for kind, p in audited(root) if p.get("idempotency_key") == "price-race")
    assert kinds == {AuditKind.EXECUTION: 1, AuditKind.REPLAY: 1}


async def test_a_proxied_call_cannot_reuse_its_used_approval_by_repeating_its_key(
    backends: Backends, store: Store, root: Path
):
    """An upstream behind the proxy may not replay keys: there a used approval stays used, whatever the key."""
    view = PolicyView(facts=BackendFacts(backends))
    args = {"review_id": unanswered(store), "body": BODY, "idempotency_key": "proxied-once"}
    call = ToolCall(
        tool="reviews_reply_to_review", reversibility=full_registry()["reviews_reply_to_review"], args=args, subject="t"
    )
    runs: list[str] = []

    async def execute() -> dict[str, str]:
        runs.append("ran")
        return {"status": "sent"}

    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        with pytest.raises(ApprovalRequired) as asked:
            await safety.call(call, None, execute, view=view)
        ticket = asked.value.approval_id
        answer_server_approval(ticket, approve=True, approver="ops", note="", root=root)
        approved = replace(call, approval_id=ticket)
        await safety.call(approved, None, execute, view=view)
        with pytest.raises(PolicyViolation, match="already used"):
            await safety.call(approved, None, execute, view=view)
    assert runs == ["ran"]
