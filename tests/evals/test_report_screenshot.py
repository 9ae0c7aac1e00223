"""The HTML report renders in a real browser (headless Chromium; skipped where Chromium is not installed)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from helpers.browser import HEADLESS_FLAGS
from helpers.scorers import sample_run

from cadencia.evals.report import write_html

CHROMIUM = shutil.which("chromium")


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true",
    reason="chromium is not installed (apt-get install chromium); CI installs it and never skips this",
)
def test_report_renders_to_a_non_trivial_screenshot_in_headless_chromium(tmp_path: Path) -> None:
    assert CHROMIUM is not None
    report, shot = tmp_path / "report.html", tmp_path / "report.png"
    write_html(report, sample_run(trials=3))
    command = [
        CHROMIUM,
        *HEADLESS_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        report.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert shot.exists(), done.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 2000)
    assert len(png) > 60_000, "the screenshot is nearly blank"  # a blank page of this size is a few kB
