"""An approval is used up only by a call that ran: a failed call gives it back, a crashed one keeps it held (a retry
with the same idempotency key runs once), and two server processes asked the same thing open one approval."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.reviews import replies_to, unanswered
from helpers.safety_child import SUBJECT, reply
from sqlalchemy import create_engine, text

from cadencia.servers.app import full_registry
from cadencia.servers.context import Backends
from cadencia.servers.safety.cli import answer_server_approval
from cadencia.servers.safety.errors import ApprovalRequired
from cadencia.servers.safety.guard import ServerSafety
from cadencia.servers.safety.setup import open_safety
from cadencia.tools.approvals import ApprovalState, ApprovalStore
from cadencia.tools.errors import Conflict, PolicyViolation
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.store.engine import normalize_url
from cadencia.tools.store.store import Store

TESTS = Path(__file__).parents[1]
CHILD = ["-m", "helpers.safety_child"]
PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")
BODY = "Thank you for your review, we are glad the texture suits you."
KEY = "reply-once-1"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "workdir"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def approvals_db(request: pytest.FixtureRequest, root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The approvals database every process of a test shares: the workdir's SQLite file, or a fresh PostgreSQL one
    (named by $CADENCIA_APPROVALS_URL, which the child processes inherit)."""
    if request.param == "sqlite":
        yield str(root / "approvals.db")
        return
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL to run PostgreSQL tests")
    name = f"cadencia_ap_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalize_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("CADENCIA_APPROVALS_URL", url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def approved(safety: ServerSafety, backends: Backends, review_id: str, root: Path) -> str:
    """Ask for the reply (refused: it needs a person), then approve it as the operator would."""
    with pytest.raises(ApprovalRequired) as asked:
        await safety.call(reply(review_id, BODY), backends, _must_not_run)
    answer_server_approval(asked.value.approval_id, approve=True, approver="alice", note="", root=root)
    return asked.value.approval_id


async def _must_not_run() -> None:
    raise AssertionError("an unapproved call ran")


async def test_a_call_that_failed_without_changing_anything_keeps_its_approval(
    backends: Backends, store: Store, root: Path
):
    review_id = unanswered(store)
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        approval_id = await approved(safety, backends, review_id, root)
        call = reply(review_id, BODY, approval_id=approval_id)

        async def refused() -> None:
            raise Conflict("the review changed under the call; nothing was changed")

        with pytest.raises(Conflict):
            await safety.call(call, backends, refused)

        async def execute() -> object:
            return await backends.reviews.reply_to_review(review_id=review_id, body=BODY, idempotency_key=None)

        await safety.call(call, backends, execute)
        with pytest.raises(PolicyViolation, match="already used"):
            await safety.call(call, backends, execute)
        record = safety.approvals.with_id(approval_id)[-1]
        assert record.state is ApprovalState.APPROVED and record.used_at is not None
    assert replies_to(store, review_id) == 1


async def test_a_call_whose_outcome_is_unknown_holds_its_approval(backends: Backends, store: Store, root: Path):
    review_id = unanswered(store)
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        approval_id = await approved(safety, backends, review_id, root)

        async def lost() -> None:
            raise RuntimeError("connection reset while the vendor was answering")

        with pytest.raises(RuntimeError):
            await safety.call(reply(review_id, BODY, approval_id=approval_id), backends, lost)
        with pytest.raises(PolicyViolation, match="same idempotency_key"):
            await safety.call(reply(review_id, BODY, approval_id=approval_id), backends, _must_not_run)
    assert replies_to(store, review_id) == 0


def _child_env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}


def _child(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *CHILD, *args], capture_output=True, text=True, timeout=120, env=_child_env()
    )


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before", "after"])
async def test_kill_9_mid_call_then_the_retry_with_its_key_runs_exactly_once(
    backends: Backends, store: Store, root: Path, when: str
):
    review_id = unanswered(store)
    store_path = str(store.engine.url.database)
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        approval_id = await approved(safety, backends, review_id, root)
    crashed = _child("run", store_path, str(root), approval_id, review_id, BODY, KEY, when)
    assert crashed.returncode == -9, crashed.stderr
    assert replies_to(store, review_id) == (1 if when == "after" else 0)

    async def execute() -> object:
        return await backends.reviews.reply_to_review(review_id=review_id, body=BODY, idempotency_key=KEY)

    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        for other_key in (None, "another-key"):
            with pytest.raises(PolicyViolation, match="held by call"):
                await safety.call(reply(review_id, BODY, approval_id=approval_id, key=other_key), backends, execute)
        retry = reply(review_id, BODY, approval_id=approval_id, key=KEY)
        result = await safety.call(retry, backends, execute)
        assert result.review_id == review_id  # type: ignore[attr-defined]
        again = await safety.call(retry, backends, execute)
        assert again == result, "the key that used the approval replays its result"
        with pytest.raises(PolicyViolation, match="already used"):
            await safety.call(reply(review_id, BODY, approval_id=approval_id, key="another-key"), backends, execute)
    assert replies_to(store, review_id) == 1


@pytest.mark.slow
async def test_two_server_processes_asked_the_same_thing_open_one_approval(approvals_db: str, store: Store, root: Path):
    review_id = unanswered(store)
    bodies = [f"{BODY} We hope to see you again soon, visit number {n}." for n in range(10)]
    store_path = str(store.engine.url.database)
    start = f"{time.time() + 3:.3f}"
    args = [sys.executable, *CHILD, "ask", store_path, str(root), start, review_id, *bodies]
    children = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_child_env())
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    first, second = (out.split() for out, _ in outputs)
    assert len(first) == len(bodies) and first == second, "both processes got the same approval for each request"
    with ApprovalStore.open(approvals_db) as approvals:
        pending = approvals.pending()
    assert len(pending) == len(bodies)
    assert len({(r.request_hash, r.subject) for r in pending}) == len(bodies)
    assert {r.subject for r in pending} == {SUBJECT}
