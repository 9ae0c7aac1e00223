"""Rebuild a writer's Merkle frontier from storage: the newest valid checkpoint, then the MAC-checked records after it.

A writer signs only what it can vouch for: records it sealed itself, or records whose MACs (under the key it
holds) check and whose links chain from a checkpoint it signed.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Dialect, bindparam, select

from cadencia.tools.audit.errors import AuditIntegrityError
from cadencia.tools.audit.macs import RecordMac
from cadencia.tools.audit.merkle import Frontier
from cadencia.tools.audit.schema import AuditTables
from cadencia.tools.audit.signing import CheckpointVerifier, SignedCheckpoint
from cadencia.tools.audit.statements import Statement

FETCH = 5000


def _digest(value: object) -> bytes | None:
    try:
        return bytes.fromhex(value) if isinstance(value, str) else None
    except ValueError:
        return None


class FrontierSource:
    """Reads the frontier of a log's first n records under the writer's transaction."""

    def __init__(self, tables: AuditTables, dialect: Dialect, verifier: CheckpointVerifier, macs: RecordMac) -> None:
        self.verifier = verifier
        self.macs = macs
        cps, records = tables.checkpoints, tables.records
        bases = select(
            cps.c.tree_size,
            cps.c.root_hash,
            cps.c.issued_at,
            cps.c.key_id,
            cps.c.signature,
            cps.c.chain_hash,
            cps.c.frontier,
        ).where(cps.c.frontier.is_not(None), cps.c.tree_size <= bindparam("upto"))
        self._bases = Statement(bases.order_by(cps.c.tree_size.desc(), cps.c.id.desc()), dialect)
        after = select(records.c.seq, records.c.prev_hash, records.c.leaf_hash, records.c.chain_hash, records.c.mac)
        after = after.where(records.c.seq > bindparam("after"), records.c.seq <= bindparam("upto"))
        self._after = Statement(after.order_by(records.c.seq), dialect)

    def _base(self, cursor: Any, upto: int) -> tuple[Frontier, bytes]:
        """The frontier and chain digest stored with the newest checkpoint at or below `upto` this key signed."""
        cursor.execute(self._bases.sql, self._bases.params(upto=upto))
        while rows := cursor.fetchmany(16):
            for size, root, issued_at, key_id, signature, chain, frontier_hex in rows:
                try:
                    checkpoint = SignedCheckpoint(
                        tree_size=size,
                        root_hash=root,
                        issued_at=issued_at,
                        key_id=key_id,
                        signature=signature,
                        chain_hash=chain,
                    )
                    frontier = Frontier.from_hex(size, frontier_hex)
                except (ValidationError, ValueError, TypeError):
                    continue
                chain_digest = _digest(chain)
                if chain_digest is None or not self.verifier.is_valid(checkpoint):
                    continue
                if frontier.root().hex() == root:
                    return frontier, chain_digest
        return Frontier(), b""

    def rebuild(self, cursor: Any, upto: int, chain: bytes) -> Frontier:
        """Frontier of records 1..`upto` (last chain digest `chain`); refuses records it cannot vouch for."""
        frontier, prev = self._base(cursor, upto)
        expected = frontier.size + 1
        cursor.execute(self._after.sql, self._after.params(after=frontier.size, upto=upto))
        while rows := cursor.fetchmany(FETCH):
            for seq, prev_hex, leaf_hex, chain_hex, mac in rows:
                leaf, link, own = _digest(leaf_hex), _digest(prev_hex), _digest(chain_hex)
                intact = seq == expected and link == prev and leaf is not None and own is not None
                if not intact or not self.macs.matches(mac, seq, prev, leaf or b"", own or b""):
                    raise AuditIntegrityError(
                        f"record {expected} was not written with this log's key, or was moved (its MAC or link does "
                        "not check): refusing to sign; run `cadencia audit verify`"
                    )
                frontier.append(leaf or b"")
                prev, expected = own or b"", expected + 1
        if expected - 1 != upto or prev != chain:
            raise AuditIntegrityError(
                f"records {expected}..{upto} are missing below the newest record: refusing to sign; "
                "run `cadencia audit verify`"
            )
        return frontier
