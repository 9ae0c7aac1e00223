"""Where Cadencia keeps its state by default: a per-user data directory, overridable everywhere."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def default_workdir() -> Path:
    """`$CADENCIA_WORKDIR`, else the per-user data directory (e.g. ~/.local/share/cadencia)."""
    return Path(os.environ.get("CADENCIA_WORKDIR") or user_data_dir("cadencia", appauthor=False))


def default_db(workdir: Path | None = None) -> str:
    """`$CADENCIA_DB`, else `<workdir>/sandbox.db`."""
    return os.environ.get("CADENCIA_DB") or str((workdir or default_workdir()) / "sandbox.db")
