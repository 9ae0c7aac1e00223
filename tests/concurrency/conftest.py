"""Two server processes on one seeded database (SQLite file or PostgreSQL), started once per backend per module."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.replicas import LIMITS_YAML, Cluster, Replica, free_port
from sqlalchemy import create_engine, text

from cadencia.tools.store.engine import normalize_url
from cadencia.tools.store.store import Store

PG_URL = os.environ.get("CADENCIA_TEST_PG_URL")
PG_REQUIRED = os.environ.get("CI") == "true"
REPLICAS = 2


def _pg_clone(template: str) -> tuple[str, str]:
    name = f"cadencia_cc_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name, normalize_url(PG_URL or "").rsplit("/", 1)[0] + f"/{name}"


def _pg_drop(name: str) -> None:
    admin = create_engine(normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cluster(
    request: pytest.FixtureRequest, seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """`REPLICAS` stateless HTTP servers over one freshly seeded database; stopped (and the database dropped) after."""
    workdir = tmp_path_factory.mktemp(f"cluster-{request.param}")
    pg_name = None
    if request.param == "sqlite":
        db_url = str(workdir / "sandbox.db")
        shutil.copyfile(seeded_sqlite_template, db_url)
    else:
        if not PG_URL:
            if PG_REQUIRED:
                pytest.fail("CI=true but CADENCIA_TEST_PG_URL is not set: PostgreSQL tests must not skip in CI")
            pytest.skip("set CADENCIA_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test to run PostgreSQL tests")
        pg_name, db_url = _pg_clone(request.getfixturevalue("pg_template"))
    limits = workdir / "limits.yaml"
    limits.write_text(LIMITS_YAML, encoding="utf-8")
    store = Store.open(db_url)
    replicas = [Replica(db_url, free_port(), workdir / f"replica{i}.log", limits) for i in range(REPLICAS)]
    cluster = Cluster(backend=request.param, store=store, replicas=replicas)
    try:
        for replica in replicas:
            replica.launch()
        for replica in replicas:
            replica.wait_until_listening()
        yield cluster
    finally:
        for replica in replicas:
            replica.stop()
        store.close()
        if pg_name is not None:
            _pg_drop(pg_name)
