"""Export hook: append every new checkpoint to a JSON-lines file kept away from the database."""

from __future__ import annotations

import logging
from pathlib import Path

from cadencia.tools.audit.signing import SignedCheckpoint, append_checkpoints

logger = logging.getLogger(__name__)


class CheckpointExport:
    """Appends checkpoints to `path` as they are signed; a failed write is retried with the next checkpoint.

    The records are already committed when a checkpoint is exported, so a write error must not fail the append
    that triggered it: it is logged, and the checkpoints it missed are written with the next one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.backlog: list[SignedCheckpoint] = []

    def __call__(self, checkpoint: SignedCheckpoint) -> None:
        self.backlog.append(checkpoint)
        try:
            append_checkpoints(self.path, self.backlog)
        except OSError as exc:
            logger.warning("could not export %d audit checkpoint(s) to %s: %s", len(self.backlog), self.path, exc)
            return
        self.backlog.clear()
