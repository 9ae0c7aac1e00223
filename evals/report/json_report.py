"""The run as one JSON document (the input of `cadencia eval compare` and of any later report)."""

from __future__ import annotations

import os
from pathlib import Path

from cadencia.evals.results import EvalRun


def write_results_json(path: Path, run: EvalRun) -> None:
    """Write the run with its summary (computed when missing); the file is replaced atomically."""
    complete = run.model_copy(update={"summary": run.computed_summary()})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(complete.model_dump_json(indent=2), encoding="utf-8")
    os.replace(partial, path)


def read_results_json(path: Path) -> EvalRun:
    """Load a run written by `write_results_json` (raises pydantic's ValidationError on a foreign file)."""
    return EvalRun.model_validate_json(path.read_text(encoding="utf-8"))
