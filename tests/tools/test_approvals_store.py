"""The durable approval store on SQLite and PostgreSQL: asked once (deadline fixed), answered once, used once."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cadencia.tools.approvals import (
    ApprovalNotFound,
    ApprovalState,
    ApprovalStore,
    ApprovalTicket,
    ApprovalUnavailable,
    request_hash,
)

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HASH = request_hash("crm_send_now", {"message_id": "MSG-1", "segment_id": "SEG-VIP"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def approvals(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApprovalStore]:
    if request.param == "sqlite":
        with ApprovalStore.open(tmp_path / "approvals.db") as store:
            yield store
        return
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL to run PostgreSQL tests")
    store = ApprovalStore.open(PG_URL, table_prefix=f"appr_t{uuid.uuid4().hex[:10]}")
    try:
        yield store
    finally:
        store.table.metadata.drop_all(store.engine)
        store.close()


def _ticket(at: datetime = T0, *, approval_id: str = "run-1/c0.1", hours: int = 24) -> ApprovalTicket:
    return ApprovalTicket(
        approval_id=approval_id,
        request_hash=HASH,
        tool="crm_send_now",
        run_id="run-1",
        request={"tool": "crm_send_now"},
        requested_at=at,
        expires_at=at + timedelta(hours=hours),
    )


def test_asking_again_returns_the_first_ask_and_its_deadline(approvals: ApprovalStore) -> None:
    first = approvals.ask(_ticket())
    again = approvals.ask(_ticket(T0 + timedelta(hours=5)))
    assert (again.requested_at, again.expires_at) == (first.requested_at, first.expires_at) == (T0, T0 + timedelta(1))
    assert [r.approval_id for r in approvals.pending()] == ["run-1/c0.1"]


def test_the_first_answer_wins_and_later_ones_change_nothing(approvals: ApprovalStore) -> None:
    approvals.ask(_ticket())
    first = approvals.answer("run-1/c0.1", HASH, state=ApprovalState.REJECTED, approver="ana", note="no", at=T0)
    second = approvals.answer("run-1/c0.1", HASH, state=ApprovalState.APPROVED, approver="bob", at=T0)
    assert first.recorded and not second.recorded
    assert second.record.state is ApprovalState.REJECTED and second.record.approver == "ana"
    assert approvals.pending() == []


def test_an_answer_after_the_deadline_is_recorded_as_expired(approvals: ApprovalStore) -> None:
    approvals.ask(_ticket(hours=1))
    late = T0 + timedelta(hours=1, microseconds=1)
    answer = approvals.answer("run-1/c0.1", HASH, state=ApprovalState.APPROVED, approver="ana", at=late)
    assert answer.record.state is ApprovalState.EXPIRED and answer.record.answered_at == late


def test_an_approval_is_used_once_and_only_when_approved_and_in_time(approvals: ApprovalStore) -> None:
    approvals.ask(_ticket())
    with pytest.raises(ApprovalUnavailable, match="pending, not approved"):
        approvals.consume("run-1/c0.1", HASH, at=T0)
    approvals.answer("run-1/c0.1", HASH, state=ApprovalState.APPROVED, approver="ana", at=T0)
    with pytest.raises(ApprovalUnavailable, match="expired"):
        approvals.consume("run-1/c0.1", HASH, at=T0 + timedelta(days=2))
    used = approvals.consume("run-1/c0.1", HASH, at=T0 + timedelta(minutes=1))
    assert used.used_at == T0 + timedelta(minutes=1)
    with pytest.raises(ApprovalUnavailable, match="already used"):
        approvals.consume("run-1/c0.1", HASH, at=T0 + timedelta(minutes=2))


def test_an_answer_binds_to_its_request_hash_only(approvals: ApprovalStore) -> None:
    approvals.ask(_ticket())
    other = request_hash("crm_send_now", {"message_id": "MSG-1", "segment_id": "SEG-ALL"})
    with pytest.raises(ApprovalNotFound):
        approvals.answer("run-1/c0.1", other, state=ApprovalState.APPROVED, approver="ana", at=T0)
    assert request_hash("crm_send_now", {"message_id": "MSG-1", "segment_id": "SEG-VIP"}, subject="tok") != HASH


def test_pending_lists_unexpired_tickets_per_run(approvals: ApprovalStore) -> None:
    approvals.ask(_ticket(approval_id="run-1/c0.1", hours=1))
    approvals.ask(_ticket(approval_id="run-1/c0.2", hours=48))
    approvals.ask(_ticket(approval_id="run-2/c0.1").model_copy(update={"run_id": "run-2"}))
    assert [r.approval_id for r in approvals.pending(run_id="run-1")] == ["run-1/c0.1", "run-1/c0.2"]
    assert [r.approval_id for r in approvals.pending(run_id="run-1", at=T0 + timedelta(hours=2))] == ["run-1/c0.2"]


def test_naive_times_are_refused(approvals: ApprovalStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        approvals.ask(_ticket(datetime(2026, 3, 1, 9, 0)))


def test_concurrent_askers_and_answerers_agree_on_one_ticket_and_one_answer(approvals: ApprovalStore) -> None:
    barrier = threading.Barrier(4)
    asked: list[datetime] = []
    recorded: list[bool] = []

    def ask_and_answer(offset: int) -> None:
        barrier.wait()
        asked.append(approvals.ask(_ticket(T0 + timedelta(seconds=offset))).requested_at)
        answer = approvals.answer(
            "run-1/c0.1", HASH, state=ApprovalState.APPROVED, approver=f"p{offset}", at=T0 + timedelta(minutes=1)
        )
        recorded.append(answer.recorded)

    threads = [threading.Thread(target=ask_and_answer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(asked)) == 1 and sorted(recorded) == [False, False, False, True]


def test_a_claimed_approval_is_used_up_only_when_its_call_finishes(approvals: ApprovalStore) -> None:
    from cadencia.tools.approvals import ApprovalInUse

    approvals.ask(_ticket())
    approvals.answer("run-1/c0.1", HASH, state=ApprovalState.APPROVED, approver="alice", at=T0)
    approvals.claim("run-1/c0.1", HASH, call_ref="call-a", at=T0)
    with pytest.raises(ApprovalInUse) as held:
        approvals.claim("run-1/c0.1", HASH, call_ref="call-b", at=T0)
    assert held.value.call_ref == "call-a"
    assert approvals.release("run-1/c0.1", HASH, call_ref="call-b") is False, "only the holder gives it back"
    assert approvals.release("run-1/c0.1", HASH, call_ref="call-a") is True
    approvals.claim("run-1/c0.1", HASH, call_ref="call-c", at=T0, idempotency_key="k1")
    approvals.claim("run-1/c0.1", HASH, call_ref="call-d", at=T0, idempotency_key="k1")
    assert approvals.finish("run-1/c0.1", HASH, call_ref="call-d", at=T0).used_at == T0
    replay = approvals.claim("run-1/c0.1", HASH, call_ref="call-e", at=T0, idempotency_key="k1")
    assert replay.used_at == T0, "the key that used it may retry (the backends replay that key's result)"
    for other in ("k2", None):
        with pytest.raises(ApprovalUnavailable, match="already used"):
            approvals.claim("run-1/c0.1", HASH, call_ref="call-f", at=T0, idempotency_key=other)


def test_asking_once_reuses_the_open_ticket_of_the_same_request_and_subject(approvals: ApprovalStore) -> None:
    mine = _ticket(approval_id="srv-1").model_copy(update={"subject": "tok-a", "run_id": None})
    first = approvals.ask_once(mine)
    assert approvals.ask_once(mine.model_copy(update={"approval_id": "srv-2"})).approval_id == first.approval_id
    theirs = approvals.ask_once(mine.model_copy(update={"approval_id": "srv-3", "subject": "tok-b"}))
    assert theirs.approval_id == "srv-3"
    later = mine.model_copy(update={"approval_id": "srv-4", "requested_at": T0 + timedelta(hours=25)})
    assert approvals.ask_once(later).approval_id == "srv-4", "an expired ticket is not reused"
