"""Two `cadencia serve all --http` replicas on one PostgreSQL database behind HAProxy (`deploy/haproxy.cfg`), with
the shipped server policy, approvals and the audit log in that database too, as `deploy/` runs them.

Through the balancer: concurrent compare-and-set writers lose no update, one idempotency key runs once, a server
approval given once is honoured by whichever replica the retry reaches and used once, and the service survives one
replica killed with SIGKILL mid-load. The figures (calls/s, retries, errors) are printed; speed is measured in
`bench/bench_replicas.py`, never asserted here.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from helpers.balancer import Balancer, haproxy, haproxy_binary
from helpers.replicas import McpHttp, Replica, Reply, free_port
from sqlalchemy import create_engine, func, select, text

from cadencia.servers.safety.cli import answer_server_approval
from cadencia.tools.audit import AuditKind, AuditLog
from cadencia.tools.inventory.tables import stock
from cadencia.tools.reviews.tables import review_replies, reviews
from cadencia.tools.store.engine import normalize_url
from cadencia.tools.store.journal import calls, idempotency
from cadencia.tools.store.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.concurrency, pytest.mark.postgres]

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")
WAREHOUSE = "WH-MAD"
WRITERS = 6
SHARED_WRITERS = 2
CALLS_PER_WRITER = 10
KILL_AFTER_ACKS = 20
ATTEMPTS = 8
TEST_TIMEOUT_S = 120


@dataclass
class Deployment:
    store: Store
    balancer: Balancer
    replicas: list[Replica]
    workdir: Path
    db_url: str


@pytest.fixture(scope="module")
def deployment(pg_template: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A seeded PostgreSQL clone holding store, approvals and audit; two replicas; HAProxy in front."""
    if not PG_URL or pg_template is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test to run PostgreSQL tests")
    haproxy_binary()
    name = f"cadencia_lb_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    db_url = normalize_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    workdir = tmp_path_factory.mktemp("lb")
    shared = {"CADENCIA_APPROVALS_URL": db_url, "CADENCIA_AUDIT_URL": db_url}
    front = free_port()
    replicas = [
        Replica(db_url, free_port(), workdir / f"replica{i}.log", policy="default", workdir=workdir, env=shared)
        for i in range(2)
    ]
    for replica in replicas:
        replica.allowed_hosts = (f"127.0.0.1:{front}",)
    store = Store.open(db_url)
    try:
        for replica in replicas:
            replica.launch()
        for replica in replicas:
            replica.wait_until_listening()
        with haproxy(front, [r.port for r in replicas], workdir) as balancer:
            yield Deployment(store, balancer, replicas, workdir, db_url)
    finally:
        for replica in replicas:
            replica.stop()
        store.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Tally:
    acknowledged: list[tuple[dict[str, Any], Reply]] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)


async def call_until_answered(client: McpHttp, tool: str, args: dict[str, Any], tally: Tally) -> Reply:
    """One logical call through the balancer: a lost connection or a 5xx is retried with the same arguments (and so
    the same idempotency key), as a client of a load-balanced service does."""
    for _ in range(ATTEMPTS):
        try:
            return await client.call(tool, args)
        except httpx.TransportError as exc:
            tally.retries[type(exc).__name__] += 1
        except httpx.HTTPStatusError as exc:
            tally.retries[f"http {exc.response.status_code}"] += 1
        await anyio.sleep(0.05)
    raise AssertionError(f"{tool} {args.get('idempotency_key')}: no answer in {ATTEMPTS} attempts ({tally.retries})")


def _skus(store: Store, n: int) -> list[str]:
    with store.reading() as conn:
        rows = conn.execute(select(stock.c.sku).where(stock.c.warehouse_id == WAREHOUSE).order_by(stock.c.sku).limit(n))
        return list(rows.scalars())


def _on_hand(store: Store, sku: str) -> int:
    with store.reading() as conn:
        query = select(stock.c.on_hand).where(stock.c.sku == sku, stock.c.warehouse_id == WAREHOUSE)
        return int(conn.execute(query).scalar_one())


async def test_one_idempotency_key_sent_many_times_at_once_runs_once(deployment: Deployment) -> None:
    sku = _skus(deployment.store, WRITERS + 2)[-1]
    before = _on_hand(deployment.store, sku)
    key = f"lb-once-{uuid.uuid4().hex[:8]}"
    args = {"sku": sku, "warehouse_id": WAREHOUSE, "delta": 3, "expected_on_hand": before, "reason": "recount"}
    args["idempotency_key"] = key
    clients = [McpHttp(deployment.balancer.url) for _ in range(6)]
    replies: list[Reply] = []

    async def send(client: McpHttp) -> None:
        replies.append(await call_until_answered(client, "inventory_adjust_stock", args, Tally()))

    async with anyio.create_task_group() as group:
        for client in clients:
            group.start_soon(send, client)
    for client in clients:
        await client.aclose()

    assert all(r.ok for r in replies), [r.text for r in replies]
    assert len({repr(r.data) for r in replies}) == 1, "every caller gets the one execution's result"
    assert _on_hand(deployment.store, sku) == before + 3
    with deployment.store.reading() as conn:
        assert conn.execute(select(func.count()).where(calls.c.idempotency_key == key)).scalar_one() == 1


async def test_an_approval_given_once_is_honoured_by_either_replica_and_used_once(deployment: Deployment) -> None:
    with deployment.store.reading() as conn:
        replied = select(review_replies.c.review_id)
        review_id = conn.execute(select(reviews.c.id).where(reviews.c.id.not_in(replied)).limit(1)).scalar_one()
    client = McpHttp(deployment.balancer.url)
    args = {"review_id": review_id, "body": "Thank you for your review; we are glad it suits you."}
    args |= {"idempotency_key": f"lb-reply-{uuid.uuid4().hex[:8]}"}
    asked = await call_until_answered(client, "reviews_reply_to_review", args, Tally())
    assert not asked.ok and "approval required" in asked.text, asked.text
    approval_id = asked.text.split("approval required: ", 1)[1].split(" ", 1)[0]

    os.environ["CADENCIA_APPROVALS_URL"] = deployment.db_url  # the operator's CLI reads the same database
    try:
        answer_server_approval(approval_id, approve=True, approver="ops", note="", root=deployment.workdir)
    finally:
        del os.environ["CADENCIA_APPROVALS_URL"]
    approved = args | {"approval_id": approval_id}
    senders = [McpHttp(deployment.balancer.url) for _ in range(4)]
    replies: list[Reply] = []

    async def send(sender: McpHttp) -> None:
        replies.append(await call_until_answered(sender, "reviews_reply_to_review", approved, Tally()))

    async with anyio.create_task_group() as group:  # the same approved call, at once, to both replicas
        for sender in senders:
            group.start_soon(send, sender)
    other_key = approved | {"idempotency_key": f"lb-reply-other-{uuid.uuid4().hex[:8]}"}
    again = await call_until_answered(client, "reviews_reply_to_review", other_key, Tally())
    for http in [client, *senders]:
        await http.aclose()

    assert any(r.ok for r in replies), [r.text for r in replies]
    assert all(r.ok or "approval" in r.text for r in replies), [(r.ok, r.text[-400:]) for r in replies if not r.ok]
    assert not again.ok and "approval" in again.text, "an approval is used by one call; another key cannot reuse it"
    with deployment.store.reading() as conn:
        count = select(func.count()).select_from(review_replies).where(review_replies.c.review_id == review_id)
        assert conn.execute(count).scalar_one() == 1


async def test_writers_lose_no_update_and_survive_a_replica_killed_mid_load(deployment: Deployment) -> None:
    skus = _skus(deployment.store, WRITERS + 1)
    own, shared_sku = skus[:WRITERS], skus[WRITERS]
    initial = {sku: _on_hand(deployment.store, sku) for sku in skus}
    tally = Tally()
    killed = anyio.Event()
    run = uuid.uuid4().hex[:6]

    async def acknowledge(args: dict[str, Any], reply: Reply) -> None:
        tally.acknowledged.append((args, reply))
        if len(tally.acknowledged) == KILL_AFTER_ACKS:
            deployment.replicas[0].kill()  # SIGKILL, requests in flight on it are cut
            killed.set()

    async def own_writer(w: int, client: McpHttp) -> None:
        sku, expected = own[w], initial[own[w]]
        for i in range(CALLS_PER_WRITER):
            args = {"sku": sku, "warehouse_id": WAREHOUSE, "delta": 1 if i % 3 else -1, "expected_on_hand": expected}
            args |= {"reason": "recount", "idempotency_key": f"lb-{run}-own-{w}-{i}"}
            reply = await call_until_answered(client, "inventory_adjust_stock", args, tally)
            assert reply.ok, reply.text
            expected = reply.data["on_hand"]
            await acknowledge(args, reply)

    async def shared_writer(w: int, client: McpHttp) -> None:
        """Compare-and-set on one SKU both writers change: a conflict re-reads and tries again (new key)."""
        done, attempt = 0, 0
        while done < CALLS_PER_WRITER:
            attempt += 1
            expected = _on_hand(deployment.store, shared_sku)
            args = {"sku": shared_sku, "warehouse_id": WAREHOUSE, "delta": 2, "expected_on_hand": expected}
            args |= {"reason": "recount", "idempotency_key": f"lb-{run}-shared-{w}-{attempt}"}
            reply = await call_until_answered(client, "inventory_adjust_stock", args, tally)
            if reply.ok:
                done += 1
                await acknowledge(args, reply)
            else:
                assert "expected_on_hand" in reply.text or "conflict" in reply.text.lower(), reply.text

    clients = [McpHttp(deployment.balancer.url) for _ in range(WRITERS + SHARED_WRITERS)]
    started = time.perf_counter()
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with anyio.create_task_group() as group:
            for w in range(WRITERS):
                group.start_soon(own_writer, w, clients[w])
            for w in range(SHARED_WRITERS):
                group.start_soon(shared_writer, w, clients[WRITERS + w])
    seconds = time.perf_counter() - started
    for client in clients:
        await client.aclose()

    assert killed.is_set() and deployment.replicas[1].process.poll() is None
    acked = len(tally.acknowledged)
    print(
        f"\nthrough haproxy: {acked} acknowledged writes in {seconds:.1f} s ({acked / seconds:.1f} calls/s); "
        f"replica 0 killed after {KILL_AFTER_ACKS}; retries {dict(tally.retries)}"
    )
    assert acked == (WRITERS + SHARED_WRITERS) * CALLS_PER_WRITER
    for sku in skus:
        applied = sum(a["delta"] for a, _ in tally.acknowledged if a["sku"] == sku)
        assert _on_hand(deployment.store, sku) == initial[sku] + applied, f"{sku}: an update was lost or doubled"
    keys = [a["idempotency_key"] for a, _ in tally.acknowledged]
    with deployment.store.reading() as conn:
        recorded = Counter(
            conn.execute(select(calls.c.idempotency_key).where(calls.c.idempotency_key.like(f"lb-{run}-%"))).scalars()
        )
        ran_as = dict(
            conn.execute(
                select(calls.c.idempotency_key, calls.c.principal).where(calls.c.idempotency_key.like(f"lb-{run}-%"))
            ).all()
        )
        unfinished = select(func.count()).select_from(idempotency).where(idempotency.c.result == "")
        assert conn.execute(unfinished).scalar_one() == 0, "an idempotency key was left claimed without its result"
    assert all(recorded[k] == 1 for k in keys), "every acknowledged call executed exactly once"
    assert set(recorded) <= set(keys) | {k for k in recorded if "-shared-" in k}

    audit = AuditLog.open(deployment.db_url, key_path=deployment.workdir / "audit-signing-key.pem")
    try:
        records = [r for r in audit.records() if r.payload.get("idempotency_key") in ran_as]
        assert audit.verify().ok, "both replicas appended to one verifiable log"
    finally:
        audit.close()
    executions = Counter(r.payload["idempotency_key"] for r in records if r.kind is AuditKind.EXECUTION)
    replays = [r.payload for r in records if r.kind is AuditKind.REPLAY]
    # The replica killed between its commit and its audit append leaves that call unaudited (`cadencia audit
    # verify --calls-db` names it); the retry's replay record then names the call that ran.
    died_unaudited = {k for k in keys if executions[k] == 0}
    assert all(executions[k] == 1 for k in set(keys) - died_unaudited), "one 'execution' record per acknowledged key"
    assert all(
        any(p["idempotency_key"] == k and p["original_call_ref"] == ran_as[k] for p in replays) for k in died_unaudited
    ), "a call that ran but never reached the log is named by its retry's replay record"
    assert all(p["original_call_ref"] == ran_as[p["idempotency_key"]] for p in replays)
    print(f"retries answered by replay (audited as 'replay'): {len(replays)}; ran but unaudited: {len(died_unaudited)}")
