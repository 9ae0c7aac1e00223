"""The server asks the caller's person through MCP: an input-required result (MRTR) on 2026-07-28 clients, an
elicitation request on 2025-11-25 clients that declared elicitation; accept runs the call once, decline refuses it
(recorded), cancel leaves it pending; a client that cannot be asked keeps the fallback error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers.mcp import call_error, call_ok
from helpers.reviews import unanswered
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import ElicitRequestParams, ElicitResult, InputRequiredResult
from sqlalchemy import select

from cadencia.servers.app import Capability, build_server, full_registry
from cadencia.servers.context import Backends
from cadencia.servers.safety.asking import REQUEST_STATE_KEYS_ENV
from cadencia.servers.safety.setup import open_safety
from cadencia.tools.approvals import ApprovalState
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.reviews.tables import review_replies
from cadencia.tools.store.store import Store

BODY = "Thank you for your review, we are glad the texture suits you."
MODES = ["legacy", "2026-07-28"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "workdir"


class Person:
    """The client's elicitation callback: answers every form with `action` and remembers what it was shown."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.shown: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.shown.append(params.message)
        content = {"note": "looks right"} if self.action == "accept" else None
        return ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]


@asynccontextmanager
async def client(
    backends: Backends, root: Path, mode: str, person: Person | None, *, ask_in_client: bool = True
) -> AsyncIterator[Any]:
    policy = default_server_policy()
    policy = policy.model_copy(update={"autonomy": policy.autonomy.model_copy(update={"ask_in_client": ask_in_client})})
    with open_safety(policy, root=root, registry=full_registry()) as safety:
        server = build_server(
            Capability.ALL, backends=backends, safety=safety, default_scopes=frozenset({"read", "write"})
        )
        async with Client(server, mode=mode, cache=None, elicitation_callback=person) as session:
            yield session, safety


def replies(store: Store) -> int:
    with store.reading() as conn:
        return len(conn.execute(select(review_replies)).all())


@pytest.mark.parametrize("mode", MODES)
async def test_accepting_the_form_runs_the_call_once(backends: Backends, store: Store, root: Path, mode: str):
    before = replies(store)
    review_id = unanswered(store)
    person = Person("accept")
    async with client(backends, root, mode, person) as (session, safety):
        result = await call_ok(session, "reviews_reply_to_review", {"review_id": review_id, "body": BODY})
        assert result["review_id"] == review_id
        (message,) = person.shown
        for shown in ("reviews_reply_to_review", "irreversible", "Request hash: ", "replies_published 1", review_id):
            assert shown in message, message
        (record,) = [r for r in safety.approvals.latest() if r.run_id is None]
        assert record.state is ApprovalState.APPROVED and record.used_at is not None
        assert record.approver == "elicitation:local" and record.note == "looks right"
        assert record.request_hash in message
    assert replies(store) == before + 1


@pytest.mark.parametrize("mode", MODES)
async def test_declining_refuses_and_is_recorded(backends: Backends, store: Store, root: Path, mode: str):
    before = replies(store)
    async with client(backends, root, mode, Person("decline")) as (session, safety):
        text = await call_error(session, "reviews_reply_to_review", {"review_id": unanswered(store), "body": BODY})
        assert "declined" in text and "nothing ran" in text
        (record,) = [r for r in safety.approvals.latest() if r.run_id is None]
        assert record.state is ApprovalState.REJECTED and record.approver == "elicitation:local"
    assert replies(store) == before


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_leaves_the_request_pending(backends: Backends, store: Store, root: Path, mode: str):
    before = replies(store)
    async with client(backends, root, mode, Person("cancel")) as (session, safety):
        text = await call_error(session, "reviews_reply_to_review", {"review_id": unanswered(store), "body": BODY})
        assert text.startswith("approval required: ") and "cancelled" in text
        (record,) = [r for r in safety.approvals.pending() if r.run_id is None]
        assert record.approval_id in text
    assert replies(store) == before


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_without_elicitation_gets_the_fallback_error(
    backends: Backends, store: Store, root: Path, mode: str
):
    before = replies(store)
    async with client(backends, root, mode, None) as (session, _):
        text = await call_error(session, "reviews_reply_to_review", {"review_id": unanswered(store), "body": BODY})
        assert text.startswith("approval required: srv-")
    assert replies(store) == before


async def test_a_call_that_needs_nobody_asks_nobody(backends: Backends, root: Path):
    person = Person("decline")
    async with client(backends, root, "2026-07-28", person) as (session, _):
        await call_ok(session, "reviews_flag_review", {"review_id": "RV-000001", "reason": "spam", "note": "test"})
    assert person.shown == []


async def test_a_policy_that_trusts_no_client_keeps_the_fallback_error(backends: Backends, store: Store, root: Path):
    person = Person("accept")
    async with client(backends, root, "2026-07-28", person, ask_in_client=False) as (session, _):
        text = await call_error(session, "reviews_reply_to_review", {"review_id": unanswered(store), "body": BODY})
        assert text.startswith("approval required: srv-")
    assert person.shown == []


@pytest.mark.parametrize("shared", [True, False])
async def test_a_second_round_may_reach_another_replica_sharing_the_request_state_key(
    backends: Backends, store: Store, root: Path, monkeypatch: pytest.MonkeyPatch, shared: bool
):
    if shared:
        monkeypatch.setenv(REQUEST_STATE_KEYS_ENV, "k" * 40)
    args = {"review_id": unanswered(store), "body": BODY}
    before = replies(store)
    async with (
        client(backends, root, "2026-07-28", Person("accept")) as (first, _),
        client(backends, root, "2026-07-28", Person("accept")) as (second, _),
    ):
        asked = await first.session.call_tool("reviews_reply_to_review", args, allow_input_required=True)
        assert isinstance(asked, InputRequiredResult)
        answers = {key: ElicitResult(action="accept", content={"note": ""}) for key in asked.input_requests or {}}
        retry = second.session.call_tool(
            "reviews_reply_to_review",
            args,
            input_responses=answers,
            request_state=asked.request_state,
            allow_input_required=True,
        )
        if shared:
            done = await retry
            assert not isinstance(done, InputRequiredResult) and not done.is_error, done
        else:
            with pytest.raises(MCPError, match="Invalid or expired requestState"):
                await retry
    assert replies(store) == before + (1 if shared else 0)
