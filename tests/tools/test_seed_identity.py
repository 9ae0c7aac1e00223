"""The seed writes the same bytes as before it was bulk-loaded: a digest of every world row, pinned.

The digest is computed here, independently of `Store.state_hash`, so a change to how the store hashes cannot hide a
change to what the seed writes. The pinned value was taken from the seed as it was before bulk loading (row by row
through `insert(table)`), so SQLite (`executemany`) and PostgreSQL (`COPY`) are both held to it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from cadencia.tools.seed import seed_store
from cadencia.tools.store.metadata import is_bookkeeping, metadata
from cadencia.tools.store.store import Store

SMALL_WORLD_DIGEST = "c3251beae41e64360bfab75a3e18507866e8b5e86bf73e12fa2b47e5f7376179"
"""`world_digest` of `seed_store(seed=7, scale=small)` made by the row-by-row seed (commit cc5e29a)."""


def world_digest(store: Store) -> str:
    digest = hashlib.sha256()
    with store.reading() as conn:
        for table in sorted(metadata.sorted_tables, key=lambda t: t.name):
            if is_bookkeeping(table):
                continue
            digest.update(f"\x00{table.name}\x00".encode())
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(json.dumps(list(row), ensure_ascii=False, default=str).encode() + b"\n")
    return digest.hexdigest()


def test_the_seeded_small_world_is_byte_identical_to_the_row_by_row_seed(any_store: Store) -> None:
    assert world_digest(any_store) == SMALL_WORLD_DIGEST


def test_seeding_reports_the_index_builds_after_the_last_rows(tmp_path: Path) -> None:
    events: list[tuple[str, int]] = []
    store = Store.open(tmp_path / "seeded.db")
    seed_store(store, seed=7, progress=lambda table, rows: events.append((table, rows)))
    store.close()
    names = [name for name, _ in events]
    built = [i for i, name in enumerate(names) if name.startswith("index ")]
    assert built, "index builds are silent"
    last_reply_rows = max(i for i, name in enumerate(names) if name == "review_replies")
    assert min(built) > last_reply_rows
