"""Per-token daily budgets and the kill switch, durable and shared: two processes never both take the last unit."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cadencia.tools.policy.policy import PolicyError
from cadencia.tools.policy.server import default_server_policy, parse_server_policy
from cadencia.tools.policy.usage import BudgetExceeded, ChargeKey, UsageStore

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")
LIMITS = {"contacts_messaged": 5}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url_and_prefix(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    prefix = f"use_t{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        yield str(tmp_path / "approvals.db"), prefix
        return
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL to run PostgreSQL tests")
    yield PG_URL, prefix
    store = UsageStore.open(PG_URL, table_prefix=prefix)
    store.usage.metadata.drop_all(store.engine)
    store.close()


def test_concurrent_reservations_from_two_stores_never_cross_the_limit(url_and_prefix: tuple[str, str]) -> None:
    url, prefix = url_and_prefix
    stores = [UsageStore.open(url, table_prefix=prefix) for _ in range(2)]
    outcomes: list[bool] = []
    lock = threading.Lock()

    def reserve(store: UsageStore) -> None:
        try:
            store.reserve("token-0", "2026-03-02", {"contacts_messaged": 1}, LIMITS)
            ok = True
        except BudgetExceeded:
            ok = False
        with lock:
            outcomes.append(ok)

    threads = [threading.Thread(target=reserve, args=(stores[i % 2],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sum(outcomes) == 5 and len(outcomes) == 12
        assert stores[0].used("token-0", "2026-03-02") == {"contacts_messaged": 5}
        assert stores[1].used("token-1", "2026-03-02") == {}, "budgets are per token"
    finally:
        for store in stores:
            store.close()


def test_a_refused_reservation_adds_nothing_and_a_given_back_one_frees_room(url_and_prefix: tuple[str, str]) -> None:
    url, prefix = url_and_prefix
    store = UsageStore.open(url, table_prefix=prefix)
    try:
        store.reserve("t", "d", {"contacts_messaged": 4}, LIMITS)
        with pytest.raises(BudgetExceeded, match="4 used today \\+ 2 for this call > daily limit 5"):
            store.reserve("t", "d", {"contacts_messaged": 2, "prices_changed": 1}, LIMITS)
        assert store.used("t", "d") == {"contacts_messaged": 4}
        store.add("t", "d", {"contacts_messaged": -4})
        store.reserve("t", "d", {"contacts_messaged": 5}, LIMITS)
    finally:
        store.close()


def test_the_kill_switch_is_durable_and_says_who_and_why(url_and_prefix: tuple[str, str]) -> None:
    url, prefix = url_and_prefix
    first = UsageStore.open(url, table_prefix=prefix)
    first.set_switch(on=True, reason="incident 42", by="ops")
    first.close()
    second = UsageStore.open(url, table_prefix=prefix)
    try:
        switch = second.switch()
        assert switch is not None and switch.on and switch.reason == "incident 42" and switch.changed_by == "ops"
        second.set_switch(on=False, reason="", by="ops")
        assert second.switch().on is False  # type: ignore[union-attr]
    finally:
        second.close()


def test_the_shipped_server_policy_asks_for_irreversible_and_compensable_calls() -> None:
    policy = default_server_policy()
    assert set(policy.autonomy.auto_approve) == {"read", "reversible"}
    assert {r.check for r in policy.rules} >= {"reversibility_approval", "thresholds"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": [{"id": "b", "check": "blast_radius"}]}, "rule 'b': check 'blast_radius' cannot run at a server"),
        ({"rules": [{"id": "s", "check": "spend_caps", "on_violation": "clamp"}]}, "does not rewrite"),
        ({"budgets": {"contacts": 5}}, "budgets.contacts: unknown key"),
        ({"rules": [{"id": "t", "check": "thresholds", "params": {"price_cut": 5}}]}, "params.price_cut"),
        ({"freeze": [{"start": "2026-12-27T00:00:00Z", "end": "2026-12-24T00:00:00Z"}]}, "is not after start"),
    ],
)
def test_a_bad_server_policy_is_refused_naming_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_server_policy({"version": 1, **data})


def test_a_keyed_charge_is_taken_once_by_copies_racing_from_two_stores(url_and_prefix: tuple[str, str]) -> None:
    url, prefix = url_and_prefix
    stores = [UsageStore.open(url, table_prefix=prefix) for _ in range(2)]
    key = ChargeKey(subject="token-0", tool="crm_send_message", idempotency_key="k1", request_hash="h" * 64)
    charged: list[bool] = []

    def reserve(store: UsageStore) -> None:
        charged.append(store.reserve("token-0", "2026-03-02", {"contacts_messaged": 3}, LIMITS, charge=key))

    threads = [threading.Thread(target=reserve, args=(stores[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(charged) == [False] * 5 + [True], "one copy charges; at the limit the others still pass"
        assert stores[0].used("token-0", "2026-03-02") == {"contacts_messaged": 3}
        stores[1].give_back("token-0", "2026-03-02", {"contacts_messaged": 3}, charge=key)
        assert not stores[0].is_charged(key), "a call that did not run leaves its key to be charged anew"
        assert stores[0].used("token-0", "2026-03-02") == {"contacts_messaged": 0}
    finally:
        for store in stores:
            store.close()
