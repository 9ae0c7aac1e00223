"""The console command output goes to: the terminal's width, or a wide one when piped (rich would assume 80
columns, wrapping hashes and squeezing payloads); `$COLUMNS` wins."""

from __future__ import annotations

import os

from rich.console import Console

PIPED_WIDTH = 160


def make_console(*, stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console
