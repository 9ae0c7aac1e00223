"""The graph's shape is pinned: a change to its wiring must update the snapshot on purpose."""

from __future__ import annotations

from pathlib import Path

from cadencia.agents.graph import build_graph

SNAPSHOT = Path(__file__).parent / "snapshots" / "graph.mmd"


def test_graph_shape_matches_its_mermaid_snapshot() -> None:
    assert build_graph().get_graph().draw_mermaid() == SNAPSHOT.read_text(encoding="utf-8")
