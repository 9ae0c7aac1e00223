"""Where a run's state lives: the sandbox store, checkpoints, the audit log, its signing key, the approval store
and the run index."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cadencia.servers.paths import default_workdir


@dataclass(frozen=True)
class Workdir:
    """Every path or URL of run state, derived from one directory (each overridable by environment variable)."""

    root: Path

    @classmethod
    def at(cls, root: Path | None) -> Workdir:
        path = (root or default_workdir()).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return cls(root=path)

    @property
    def store(self) -> str:
        return os.environ.get("CADENCIA_DB") or str(self.root / "sandbox.db")

    @property
    def checkpoints(self) -> str:
        return os.environ.get("CADENCIA_CHECKPOINT_URL") or str(self.root / "checkpoints.db")

    @property
    def audit(self) -> str:
        return os.environ.get("CADENCIA_AUDIT_URL") or str(self.root / "audit.db")

    @property
    def approvals(self) -> str:
        return os.environ.get("CADENCIA_APPROVALS_URL") or str(self.root / "approvals.db")

    @property
    def signing_key(self) -> Path:
        return self.root / "audit-signing-key.pem"

    @property
    def runs(self) -> str:
        return str(self.root / "runs.db")
