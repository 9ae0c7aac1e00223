"""The README stays true: its embedding example runs as written."""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_embed_example_in_the_readme_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"## Embed the graph.*?```python\n(.*?)```", readme, re.S)
    assert match, "README lost its embedding example"
    (tmp_path / "agents" / "goals").mkdir(parents=True)
    shutil.copy(ROOT / "agents" / "goals" / "spring_launch.yaml", tmp_path / "agents" / "goals")
    (tmp_path / "example.py").write_text(match.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CADENCIA_DB", raising=False)
    runpy.run_path(str(tmp_path / "example.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "waiting_approval" in printed or "done" in printed


def test_the_readme_keeps_exactly_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quickstart, re.S)
    assert commands == ["pip install . && cadencia demo", "pip install '.[dev]' && pytest"]
