"""RFC 9162 Merkle hashing: hand-computed small trees, then every proof over trees of 1..40 leaves."""

from __future__ import annotations

import hashlib

import pytest

from cadencia.tools.audit import merkle

SIZES = range(1, 41)


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"entry-{i}".encode()) for i in range(n)]


def reference_root(items: list[bytes]) -> bytes:
    """MTH straight from the RFC's recursive definition, independent of the implementation under test."""
    if not items:
        return h(b"")
    if len(items) == 1:
        return items[0]
    k = 1
    while k * 2 < len(items):
        k *= 2
    return h(b"\x01" + reference_root(items[:k]) + reference_root(items[k:]))


def test_leaf_and_node_hashes_use_the_rfc_domain_prefixes() -> None:
    assert merkle.leaf_hash(b"abc") == h(b"\x00abc")
    assert merkle.node_hash(b"L" * 32, b"R" * 32) == h(b"\x01" + b"L" * 32 + b"R" * 32)


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert merkle.tree_root([]) == h(b"") == merkle.EMPTY_ROOT


def test_small_trees_match_hand_computed_roots() -> None:
    a, b, c, d, e = leaves(5)
    ab, cd = h(b"\x01" + a + b), h(b"\x01" + c + d)
    abcd = h(b"\x01" + ab + cd)
    assert merkle.tree_root([a]) == a
    assert merkle.tree_root([a, b]) == ab
    assert merkle.tree_root([a, b, c]) == h(b"\x01" + ab + c)
    assert merkle.tree_root([a, b, c, d]) == abcd
    assert merkle.tree_root([a, b, c, d, e]) == h(b"\x01" + abcd + e)


def test_inclusion_path_of_a_five_leaf_tree_is_the_hand_computed_one() -> None:
    a, b, c, d, e = leaves(5)
    ab, cd = h(b"\x01" + a + b), h(b"\x01" + c + d)
    abcd = h(b"\x01" + ab + cd)
    assert merkle.inclusion_proof([a, b, c, d, e], 2) == [d, ab, e]
    assert merkle.inclusion_proof([a, b, c, d, e], 4) == [abcd]
    assert merkle.inclusion_proof([a], 0) == []


def test_consistency_proof_from_three_to_five_leaves_is_the_hand_computed_one() -> None:
    a, b, c, d, e = leaves(5)
    ab = h(b"\x01" + a + b)
    assert merkle.consistency_proof([a, b, c, d, e], 3) == [c, d, ab, e]
    assert merkle.consistency_proof([a, b, c, d, e], 4) == [e]
    assert merkle.consistency_proof([a, b, c, d, e], 5) == []


@pytest.mark.parametrize("n", SIZES)
def test_tree_root_matches_the_recursive_definition(n: int) -> None:
    items = leaves(n)
    assert merkle.tree_root(items) == reference_root(items)
    assert merkle.tree_roots(items, range(n + 1)) == {m: reference_root(items[:m]) for m in range(n + 1)}


@pytest.mark.parametrize("n", SIZES)
def test_every_leaf_proves_and_a_wrong_leaf_index_or_root_fails(n: int) -> None:
    items = leaves(n)
    root = merkle.tree_root(items)
    stranger = merkle.leaf_hash(b"never logged")
    for index in range(n):
        path = merkle.inclusion_proof(items, index)
        assert merkle.verify_inclusion(items[index], index, n, path, root)
        assert not merkle.verify_inclusion(stranger, index, n, path, root)
        assert not merkle.verify_inclusion(items[index], index, n, path, stranger)
        assert not merkle.verify_inclusion(items[index], n, n, path, root)
        if n > 1:
            assert not merkle.verify_inclusion(items[index], (index + 1) % n, n, path, root)
            assert not merkle.verify_inclusion(items[index], index, n, path[:-1], root)


@pytest.mark.parametrize("n", SIZES)
def test_every_prefix_is_consistent_and_a_wrong_root_fails(n: int) -> None:
    items = leaves(n)
    new_root = merkle.tree_root(items)
    for m in range(1, n + 1):
        old_root = merkle.tree_root(items[:m])
        path = merkle.consistency_proof(items, m)
        assert merkle.verify_consistency(m, n, old_root, new_root, path)
        if m < n:
            assert not merkle.verify_consistency(m, n, new_root, new_root, path)
            assert not merkle.verify_consistency(m, n, old_root, old_root, path)
            assert not merkle.verify_consistency(m, n, old_root, new_root, path[:-1])


def test_a_rewritten_prefix_is_not_consistent_with_its_old_head() -> None:
    items = leaves(12)
    old_root = merkle.tree_root(items[:8])
    rewritten = [*items[:5], merkle.leaf_hash(b"forged"), *items[6:]]
    path = merkle.consistency_proof(rewritten, 8)
    assert not merkle.verify_consistency(8, 12, old_root, merkle.tree_root(rewritten), path)


def test_proofs_for_sizes_outside_the_tree_are_refused() -> None:
    items = leaves(4)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(items, 4)
    with pytest.raises(ValueError):
        merkle.consistency_proof(items, 5)
    with pytest.raises(ValueError):
        merkle.tree_roots(items, [5])


@pytest.mark.parametrize("n", range(0, 41))
def test_a_frontier_grown_leaf_by_leaf_has_the_tree_root(n: int) -> None:
    items = leaves(n)
    frontier = merkle.Frontier()
    frontier.extend(items)
    assert frontier.size == n and len(frontier.hashes) == n.bit_count()
    assert frontier.root() == reference_root(items)
    stored = merkle.Frontier.from_hex(n, frontier.to_hex())
    stored.append(merkle.leaf_hash(b"next"))
    assert stored.root() == reference_root([*items, merkle.leaf_hash(b"next")])


def test_a_stored_frontier_of_the_wrong_shape_is_refused() -> None:
    frontier = merkle.Frontier()
    frontier.extend(leaves(6))
    with pytest.raises(ValueError, match="7 leaves holds 3 hashes, not 2"):
        merkle.Frontier.from_hex(7, frontier.to_hex())
    with pytest.raises(ValueError):
        merkle.Frontier.from_hex(6, frontier.to_hex()[:-2])
