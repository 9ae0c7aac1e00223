"""Shared fixtures: a seeded sandbox store (SQLite always, PostgreSQL when CADENCIA_TEST_PG_URL is set),
backends over it, in-memory MCP client sessions, and a guard that fails any real network call."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cadencia.servers.context import Backends
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.limits import Limits
from cadencia.tools.seed import seed_store
from cadencia.tools.store.engine import normalize_url
from cadencia.tools.store.store import Store

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")
PG_REQUIRED = os.environ.get("CI") == "true"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection outside loopback fails the test: tests never reach the internet or a model API."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _own_workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Servers and CLIs a test starts keep approvals, budgets and audit in the test's directory, never the user's."""
    monkeypatch.setenv("CADENCIA_WORKDIR", str(tmp_path / "workdir"))


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    store = Store.open(path)
    seed_store(store, seed=7)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A seeded PostgreSQL template database, cloned per test with CREATE DATABASE … TEMPLATE."""
    if not PG_URL:
        yield None
        return
    name = f"cadencia_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store.open(_pg_database_url(name))
    seed_store(store, seed=7)
    store.close()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_database_url(database: str) -> str:
    assert PG_URL
    base = normalize_url(PG_URL).rsplit("/", 1)[0]
    return f"{base}/{database}"


def _sqlite_store(template: Path, tmp_path: Path) -> Store:
    target = tmp_path / "store.db"
    shutil.copyfile(template, target)
    return Store.open(target)


def _pg_store(template: str) -> tuple[Store, str]:
    name = f"cadencia_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return Store.open(_pg_database_url(name)), name


def _drop_pg(name: str) -> None:
    admin = create_engine(normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def store(seeded_sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """A freshly seeded SQLite sandbox store (a copy of the session template)."""
    opened = _sqlite_store(seeded_sqlite_template, tmp_path)
    yield opened
    opened.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, seeded_sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """The same seeded store on SQLite and on PostgreSQL: the backend contract suite runs on both."""
    if request.param == "sqlite":
        opened = _sqlite_store(seeded_sqlite_template, tmp_path)
        yield opened
        opened.close()
        return
    if not PG_URL:
        if PG_REQUIRED:
            pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
        pytest.skip("set CADENCIA_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test to run PostgreSQL tests")
    template = request.getfixturevalue("pg_template")
    opened, name = _pg_store(template)
    yield opened
    opened.close()
    _drop_pg(name)


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
def backends(store: Store, limits: Limits) -> Backends:
    return sandbox_backends(store, limits)
