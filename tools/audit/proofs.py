"""Inclusion and consistency proofs as portable models, checkable by anyone holding a trusted root."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.audit import merkle


class InclusionProof(BaseModel):
    """Record `seq` is leaf `seq - 1` of the tree of `tree_size` records whose head is `root`."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1)
    tree_size: int = Field(ge=1)
    leaf_hash: str
    path: list[str] = Field(description="audit path, hex, innermost sibling first")
    root: str


class ConsistencyProof(BaseModel):
    """The tree of `old_size` records (head `old_root`) is a prefix of the tree of `new_size` (head `new_root`)."""

    model_config = ConfigDict(frozen=True)

    old_size: int = Field(ge=0)
    new_size: int = Field(ge=0)
    old_root: str
    new_root: str
    path: list[str] = Field(description="consistency path, hex")


def _hashes(values: list[str]) -> list[bytes] | None:
    try:
        return [bytes.fromhex(value) for value in values]
    except ValueError:
        return None


def check_inclusion(proof: InclusionProof) -> bool:
    """True when the audit path leads from the leaf hash to the root (malformed hex is simply false)."""
    hashes = _hashes([proof.leaf_hash, proof.root, *proof.path])
    if hashes is None:
        return False
    leaf, root, *path = hashes
    return merkle.verify_inclusion(leaf, proof.seq - 1, proof.tree_size, path, root)


def check_consistency(proof: ConsistencyProof) -> bool:
    """True when the path proves the old tree head is a prefix of the new one."""
    hashes = _hashes([proof.old_root, proof.new_root, *proof.path])
    if hashes is None:
        return False
    old_root, new_root, *path = hashes
    return merkle.verify_consistency(proof.old_size, proof.new_size, old_root, new_root, path)
