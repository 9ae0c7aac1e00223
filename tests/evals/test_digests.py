"""Table digests maintained on write (evals/digests.py): they change exactly where `Store.table_hashes` changes,
follow rows rather than the order of writes, and see writes from any connection, tool or not."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, update

from cadencia.evals.digests import install_tracking, state_digest, table_digests
from cadencia.evals.world import World
from cadencia.tools.crm.tables import contacts
from cadencia.tools.inventory.tables import promotions, stock
from cadencia.tools.reviews.tables import reviews
from cadencia.tools.store.store import Store

KEY = "image-key"
PROMOTION = {
    "id": "PR-D1",
    "sku": "ML-000003",
    "discount_pct": 10,
    "starts_on": "2026-03-02",
    "ends_on": "2026-03-04",
    "status": "scheduled",
    "label": "-10%",
}


@pytest.fixture
def image(seeded_sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "image.db"
    shutil.copyfile(seeded_sqlite_template, path)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        install_tracking(conn)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _copy(image: Path, name: str) -> tuple[Path, Store]:
    path = image.parent / name
    shutil.copyfile(image, path)
    return path, Store.open(path, create=False)


def _differing(a: dict[str, str], b: dict[str, str]) -> set[str]:
    return {name for name in a if a[name] != b[name]}


def test_digests_change_exactly_where_full_table_hashes_change(image: Path) -> None:
    start = Store.open(image, create=False)
    full_before = start.table_hashes()
    start.close()
    path, store = _copy(image, "a.db")
    before = table_digests(path, image, KEY)
    assert _differing(before, table_digests(image, image, KEY)) == set()
    World(store, seed=3).run(3)
    with store.writing() as conn:
        conn.execute(insert(promotions).values(**PROMOTION))
        conn.execute(update(contacts).where(contacts.c.id == "C-0000004").values(orders_count=99))
    after = table_digests(path, image, KEY)
    full_after = store.table_hashes()
    store.close()
    changed = _differing(full_before, full_after)
    assert {"sales_daily", "stock", "promotions", "contacts"} <= changed
    assert _differing(before, after) == changed


def test_digests_follow_rows_not_the_order_or_the_undone_writes(image: Path) -> None:
    a_path, a = _copy(image, "a.db")
    b_path, b = _copy(image, "b.db")
    with a.writing() as conn:
        conn.execute(update(stock).where(stock.c.sku == "ML-000001").values(on_hand=5))
        conn.execute(insert(promotions).values(**PROMOTION))
        conn.execute(delete(reviews).where(reviews.c.id == "RV-E260302-1"))
    with b.writing() as conn:
        conn.execute(delete(reviews).where(reviews.c.id == "RV-E260302-1"))
        conn.execute(insert(promotions).values(**PROMOTION | {"id": "PR-GONE"}))
        conn.execute(insert(promotions).values(**PROMOTION))
        conn.execute(update(stock).where(stock.c.sku == "ML-000001").values(on_hand=6))
        conn.execute(update(stock).where(stock.c.sku == "ML-000001").values(on_hand=5))
        conn.execute(delete(promotions).where(promotions.c.id == "PR-GONE"))
    for store in (a, b):
        store.close()
    assert table_digests(a_path, image, KEY) == table_digests(b_path, image, KEY)
    assert state_digest(table_digests(a_path, image, KEY)) != state_digest(table_digests(image, image, KEY))
    assert table_digests(a_path, image, KEY) != table_digests(a_path, image, "another image")


def test_a_write_outside_the_tools_is_seen_and_reverting_it_restores_the_digest(image: Path) -> None:
    path, store = _copy(image, "a.db")
    store.close()
    before = table_digests(path, image, KEY)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("UPDATE stock SET on_hand = on_hand + 1 WHERE sku = 'ML-000002'")
        moved = table_digests(path, image, KEY)
        conn.execute("UPDATE stock SET on_hand = on_hand - 1 WHERE sku = 'ML-000002'")
    assert _differing(before, moved) == {"stock"}
    assert table_digests(path, image, KEY) == before


def test_the_image_starts_with_an_empty_change_log(image: Path) -> None:
    with closing(sqlite3.connect(image)) as conn:
        assert conn.execute("SELECT count(*) FROM sim_changes").fetchone() == (0,)
        triggers = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0]
    assert triggers >= 3 * 10
