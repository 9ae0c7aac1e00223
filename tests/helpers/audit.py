"""What an attacker with write access to an audit database (and no signing key) can do to it; where test logs live."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from cadencia.tools.audit import AuditKind, AuditLog, AuditRecord, JsonObject, SignedCheckpoint, sign_checkpoint
from cadencia.tools.audit.encoding import encode_json
from cadencia.tools.audit.merkle import leaf_hash, tree_root
from cadencia.tools.audit.records import entry_text

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")


def fixed_clock() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Backend:
    """Where a test's log lives: a SQLite file or fresh tables in the test PostgreSQL database."""

    url: str
    prefix: str


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters for a `backend` fixture: every tamper test runs on both."""


def backend_for(name: str, tmp_path: Path) -> Backend:
    """A fresh place for one test's log (skips, or fails in CI, when PostgreSQL is not configured)."""
    if name == "sqlite":
        return Backend(url=str(tmp_path / "audit.db"), prefix="audit")
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test to run PostgreSQL tests")
    return Backend(url=PG_URL, prefix=f"audit_t{uuid.uuid4().hex[:10]}")


def open_log(backend: Backend, key_path: Path, **options: object) -> AuditLog:
    """The test's log, with a fixed clock (options as for `AuditLog.open`)."""
    return AuditLog.open(backend.url, key_path=key_path, table_prefix=backend.prefix, clock=fixed_clock, **options)  # type: ignore[arg-type]


@contextmanager
def opened_log(backend: Backend, key_path: Path, **options: object) -> Iterator[AuditLog]:
    """A log for one test; its tables are dropped afterwards on PostgreSQL."""
    opened = open_log(backend, key_path, **options)
    try:
        yield opened
    finally:
        opened.close()
        if opened.engine.dialect.name == "postgresql":
            opened.tables.metadata.drop_all(opened.engine)
            opened.engine.dispose()


def fill(log: AuditLog, count: int) -> None:
    """`count` records, one transaction each, as the servers write them."""
    for i in range(count):
        log.append(run_id="run-7", actor="planner:heuristic", kind=AuditKind.PROPOSAL, payload={"i": i})


def sql(log: AuditLog, *statements: str, **params: object) -> None:
    """Run raw SQL on the log's database; `{records}` and `{checkpoints}` name its tables."""
    names = {"{records}": log.tables.records.name, "{checkpoints}": log.tables.checkpoints.name}
    with log.engine.begin() as conn:
        for statement in statements:
            for placeholder, name in names.items():
                statement = statement.replace(placeholder, name)
            conn.execute(text(statement), params)


Row = dict[str, str | int]


def sealed(record: AuditRecord, *, seq: int, prev_hash: str, payload: JsonObject | None = None) -> Row:
    """The row an attacker who knows the format writes: valid hashes, no valid MAC (they lack the key)."""
    payload_json = encode_json(record.payload if payload is None else payload)
    fields = {"recorded_at": record.recorded_at, "run_id": record.run_id, "actor": record.actor}
    fields["kind"] = record.kind.value
    entry = entry_text(seq=seq, prev_hash=prev_hash, payload_json=payload_json, **fields).encode()
    return {
        "seq": seq,
        **fields,
        "payload": payload_json,
        "leaf_hash": leaf_hash(entry).hex(),
        "prev_hash": prev_hash,
        "chain_hash": hashlib.sha256(entry).hexdigest(),
    }


INSERT_ROW = (
    "INSERT INTO {records} (seq, recorded_at, run_id, actor, kind, payload, leaf_hash, prev_hash, chain_hash) "
    "VALUES (:seq, :recorded_at, :run_id, :actor, :kind, :payload, :leaf_hash, :prev_hash, :chain_hash)"
)
REWRITE_ROW = (
    "UPDATE {records} SET payload = :payload, leaf_hash = :leaf_hash, prev_hash = :prev_hash, chain_hash = :chain_hash "
    "WHERE seq = :seq"
)


def forge_approval(*, seq: int, prev_hash: str) -> Row:
    """A forged approval by a person, chained correctly after `prev_hash`."""
    template = AuditRecord(
        seq=seq,
        recorded_at="2026-03-02T09:00:00.000000+00:00",
        run_id="run-7",
        actor="human:alice",
        kind=AuditKind.APPROVAL,
        payload={"decision": "approve", "action": "crm_send_now"},
        leaf_hash="",
        prev_hash=prev_hash,
        chain_hash="",
    )
    return sealed(template, seq=seq, prev_hash=prev_hash)


def append_forged(log: AuditLog) -> int:
    """Append a forged approval at the tail, chained to the last record; returns its seq."""
    last = log.records()[-1]
    row = forge_approval(seq=last.seq + 1, prev_hash=last.chain_hash)
    sql(log, INSERT_ROW, **row)
    return last.seq + 1


def rewrite_consistently(log: AuditLog, *, seq: int) -> list[AuditRecord]:
    """Change record `seq` and recompute every hash after it; returns the log as rewritten."""
    records = log.records()
    prev = records[seq - 2].chain_hash if seq > 1 else ""
    for record in records[seq - 1 :]:
        payload = {"i": -1} if record.seq == seq else None
        row = sealed(record, seq=record.seq, prev_hash=prev, payload=payload)
        sql(log, REWRITE_ROW, **row)
        prev = str(row["chain_hash"])
    return log.records()


def resign_checkpoints(log: AuditLog, key: Ed25519PrivateKey) -> list[SignedCheckpoint]:
    """Replace every stored checkpoint with one signed by `key` over the log as it now is."""
    records = log.records()
    leaves = [leaf_hash(r.entry()) for r in records]
    sizes = sorted({cp.tree_size for cp in log.checkpoints()})
    forged = [
        sign_checkpoint(
            key,
            tree_size=size,
            root_hash=tree_root(leaves[:size]).hex(),
            chain_hash=records[size - 1].chain_hash if size else "",
            issued_at="2026-03-02T10:00:00.000000+00:00",
        )
        for size in sizes
    ]
    sql(log, "DELETE FROM {checkpoints}")
    for cp in forged:
        sql(
            log,
            "INSERT INTO {checkpoints} (tree_size, root_hash, issued_at, key_id, signature, chain_hash) "
            "VALUES (:tree_size, :root_hash, :issued_at, :key_id, :signature, :chain_hash)",
            **cp.model_dump(),
        )
    return forged
