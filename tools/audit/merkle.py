"""RFC 9162 Merkle tree hashing: tree heads, inclusion and consistency proofs over a list of leaf hashes.

Leaves are already hashed (`leaf_hash(entry)` = SHA-256(0x00 ‖ entry)); every function here is pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree."""


def leaf_hash(entry: bytes) -> bytes:
    """Hash of one leaf: SHA-256(0x00 ‖ entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly below `size` (size ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


class _Subtrees:
    """Every complete, aligned power-of-two subtree hash, computed once, so any MTH(D[a:b]) costs O(log n)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        levels = [list(leaves)]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
        self.levels = levels
        self.size = len(leaves)

    def root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end])."""
        size = end - start
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            return self.levels[level][start >> level]
        k = _split(size)
        return node_hash(self.root(start, start + k), self.root(start + k, end))


def _check_size(size: int, available: int) -> None:
    if not 0 <= size <= available:
        raise ValueError(f"tree size {size} is outside 0..{available}")


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of the whole list of leaf hashes."""
    return _Subtrees(leaves).root(0, len(leaves))


def tree_roots(leaves: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """MTH of every prefix size asked for, sharing one pass over the leaves."""
    subtrees = _Subtrees(leaves)
    result: dict[int, bytes] = {}
    for size in sizes:
        _check_size(size, len(leaves))
        result[size] = subtrees.root(0, size)
    return result


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """Audit path of leaf `index` in the tree of the first `size` leaves (default: all), innermost first."""
    size = len(leaves) if size is None else size
    _check_size(size, len(leaves))
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    subtrees = _Subtrees(leaves[:size])
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtrees.root(start + k, end))
            end = start + k
        else:
            path.append(subtrees.root(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int | None = None) -> list[bytes]:
    """Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` (default: all)."""
    new_size = len(leaves) if new_size is None else new_size
    _check_size(new_size, len(leaves))
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 0..{new_size}")
    if old_size in (0, new_size):
        return []
    subtrees = _Subtrees(leaves[:new_size])
    path: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(subtrees.root(start + k, end))
            end = start + k
        else:
            path.append(subtrees.root(start, start + k))
            start += k
            m -= k
            complete = False
    if not complete:
        path.append(subtrees.root(start, end))
    path.reverse()
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """True when `path` proves `leaf` sits at `index` in the tree of `size` leaves whose head is `root`."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    result = leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> bool:
    """True when `path` proves the tree (`old_size`, `old_root`) is a prefix of (`new_size`, `new_root`)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    nodes = list(path)
    if old_size & (old_size - 1) == 0:
        nodes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = nodes[0]
    for sibling in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(sibling, old_result)
            new_result = node_hash(sibling, new_result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new_result = node_hash(new_result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_result == old_root and new_result == new_root


class Frontier:
    """The roots of the perfect subtrees that cover the first `size` leaves, largest first (a compact range).

    Appending a leaf costs one node hash on average and the tree head O(log n), so a writer can sign the head of
    a log of any size without reading its leaves again.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of {size} leaves holds {size.bit_count()} hashes, not {len(hashes)}")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash, merging the subtrees it completes."""
        hashes = self.hashes
        hashes.append(leaf)
        self.size += 1
        size = self.size
        while not size & 1:
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            size >>= 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append several leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of the leaves so far."""
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)

    def to_hex(self) -> str:
        """The hashes as one hex string (64 characters each), for storage next to a checkpoint."""
        return b"".join(self.hashes).hex()

    @classmethod
    def from_hex(cls, size: int, text: str) -> Frontier:
        """Rebuild a stored frontier; raises ValueError when the text does not hold one for `size` leaves."""
        raw = bytes.fromhex(text)
        if len(raw) % 32:
            raise ValueError("a stored frontier is not a whole number of SHA-256 hashes")
        return cls(size, [raw[i : i + 32] for i in range(0, len(raw), 32)])
