"""After a bulk load on PostgreSQL the tables are analyzed, so the planner uses their indexes from the first query."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from cadencia.tools.seed import bulk
from cadencia.tools.store.store import Store

# Planner statistics are PostgreSQL's: only the store fixture's PostgreSQL case runs (no SQLite case to skip).
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("any_store", ["postgres"], indirect=True)]


def _stats_rows(store: Store, table: str) -> int:
    with store.reading() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM pg_stats WHERE tablename = %s", (table,)).scalar_one()


def _scratch(store: Store) -> Table:
    table = Table("scratch_bulk", MetaData(), Column("id", Integer, primary_key=True), Column("v", String(8)))
    with store.writing() as conn:
        table.create(conn)
    return table


def test_a_bulk_load_leaves_planner_statistics_behind(any_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    table = _scratch(any_store)
    analyzed: list[list[str]] = []
    real = bulk.analyze

    def spy(store: Store, tables: list[Table]) -> None:
        analyzed.append([t.name for t in tables])
        real(store, tables)

    monkeypatch.setattr(bulk, "analyze", spy)
    with bulk.indexes_deferred(any_store, [table]):
        bulk.load(any_store, table, ({"id": i, "v": f"v{i % 7}"} for i in range(2000)))
    assert analyzed == [["scratch_bulk"]]
    assert _stats_rows(any_store, "scratch_bulk") > 0


def test_analyze_fills_the_statistics_of_a_table_that_had_none(any_store: Store) -> None:
    table = _scratch(any_store)
    bulk.load(any_store, table, ({"id": i, "v": "x"} for i in range(500)))
    assert _stats_rows(any_store, "scratch_bulk") == 0
    bulk.analyze(any_store, [table])
    assert _stats_rows(any_store, "scratch_bulk") > 0
