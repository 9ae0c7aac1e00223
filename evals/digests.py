"""Table digests of an episode's world, maintained on write: cost follows the rows changed, not the world's size.

A world image (the cached, seeded world every trial copies) carries triggers that log the primary key of every row
inserted, updated or deleted in a world table (`sim_changes`, not part of the schema: the tools never see it).
A table's digest is the image's key plus the multiset sum, over the logged keys, of hash(row now) − hash(row in the
image): two copies of one image have equal digests for a table exactly when their rows are equal (up to hash
collisions of 128 bits), whatever order the writes came in. `Store.table_hashes` reads every row (three passes
over ten million rows per large episode); this reads the changed ones in the copy and in the image.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from sqlalchemy import Table

from cadencia.tools.store.metadata import is_bookkeeping, metadata

CHANGES = "sim_changes"
MODULUS = 1 << 128


def world_tables() -> list[Table]:
    """The tables `Store.table_hashes` covers: every schema table except bookkeeping (journal, simulator state)."""
    return [t for t in sorted(metadata.sorted_tables, key=lambda t: t.name) if not is_bookkeeping(t)]


def _key(row: str, table: Table) -> str:
    return "json_array(" + ", ".join(f"{row}.{c.name}" for c in table.primary_key.columns) + ")"


def install_tracking(conn: sqlite3.Connection) -> None:
    """Create the change log and its triggers on every world table present (idempotent; the log starts empty)."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {CHANGES} (tbl TEXT NOT NULL, pk TEXT NOT NULL, PRIMARY KEY (tbl, pk))")
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in world_tables():
        if table.name not in present:
            continue
        log = f"INSERT OR IGNORE INTO {CHANGES} (tbl, pk) VALUES ('{table.name}', "
        new, old = log + _key("NEW", table) + ");", log + _key("OLD", table) + ");"
        for suffix, when, body in (("i", "INSERT", new), ("u", "UPDATE", old + " " + new), ("d", "DELETE", old)):
            conn.execute(
                f"CREATE TRIGGER IF NOT EXISTS {CHANGES}_{table.name}_{suffix} AFTER {when} ON {table.name} "
                f"BEGIN {body} END"
            )
    conn.execute(f"DELETE FROM {CHANGES}")


def _row_hash(row: tuple[object, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(repr(row).encode(), digest_size=16).digest(), "big")


def _changed_rows(conn: sqlite3.Connection, schema: str, table: Table) -> Iterator[tuple[object, ...]]:
    """Rows of `schema`.`table` (main: the copy, image: the image) whose key is in the copy's change log."""
    match = " AND ".join(f"t.{c.name} = json_extract(c.pk, '$[{i}]')" for i, c in enumerate(table.primary_key.columns))
    columns = ", ".join(f"t.{c.name}" for c in table.columns)
    yield from conn.execute(
        f"SELECT {columns} FROM main.{CHANGES} AS c CROSS JOIN {schema}.{table.name} AS t WHERE c.tbl = ? AND {match}",
        (table.name,),
    )


def table_digests(path: Path, image: Path, image_key: str) -> dict[str, str]:
    """One digest per world table of the database at `path`, a copy of `image` (whose key is `image_key`)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.execute("ATTACH DATABASE ? AS image", (f"file:{image}?mode=ro&immutable=1",))
        changed = {name for (name,) in conn.execute(f"SELECT DISTINCT tbl FROM {CHANGES}")}
        digests: dict[str, str] = {}
        for table in world_tables():
            delta = 0
            if table.name in changed:
                for row in _changed_rows(conn, "main", table):
                    delta += _row_hash(row)
                for row in _changed_rows(conn, "image", table):
                    delta -= _row_hash(row)
            text = f"{image_key}\x00{table.name}\x00{delta % MODULUS:032x}"
            digests[table.name] = hashlib.sha256(text.encode()).hexdigest()
        return digests


def state_digest(digests: dict[str, str]) -> str:
    """One digest of the whole world from its table digests (as `Store.state_hash` folds `table_hashes`)."""
    digest = hashlib.sha256()
    for name, table_digest in sorted(digests.items()):
        digest.update(f"\x00{name}\x00{table_digest}".encode())
    return digest.hexdigest()
