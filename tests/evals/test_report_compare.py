"""Comparing two runs: the rich table and the `compare` command."""

from __future__ import annotations

from pathlib import Path

from helpers.scorers import sample_run
from rich.console import Console
from typer.testing import CliRunner

from cadencia.cli import app
from cadencia.evals.report import compare_runs, write_results_json
from cadencia.evals.results import EvalRun

WIDE = {"COLUMNS": "200"}


def _render(table: object) -> str:
    console = Console(record=True, width=160, color_system=None)
    console.print(table)
    return console.export_text()


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("│").split("│")] if line.startswith("│") else []


def _better_run() -> EvalRun:
    run = sample_run()
    run.planner = "llm"
    run.episodes = [e for e in run.episodes if e.passed]  # drop the attacked trial that failed
    return run


def test_compare_runs_shows_both_runs_and_the_change() -> None:
    text = _render(compare_runs(sample_run(), _better_run()))
    rows = {cells[0]: cells[1:] for line in text.splitlines() if (cells := _cells(line))}
    assert rows["pass^1"] == ["75.0%", "100.0%", "+25.0 pp"]
    assert rows["pass^2"] == ["50.0%", "—", ""]  # B has one trial of a scenario left: pass^2 is not defined
    assert rows["violations"] == ["1", "0", "-1"]
    assert rows["attack success rate"] == ["50.0%", "0.0%", "-50.0 pp"]
    assert rows["scorer consent"] == ["75.0%", "100.0%", "+25.0 pp"]
    assert "A: heuristic" in text and "B: llm" in text


def test_a_regression_is_red_and_an_improvement_green() -> None:
    console = Console(record=True, width=160, force_terminal=True, color_system="standard")
    console.print(compare_runs(sample_run(), _better_run()))
    styled = console.export_text(styles=True)
    assert "\x1b[32m+25.0 pp" in styled  # pass^1 up: green
    assert "\x1b[32m-1" in styled  # violations down: green


def test_compare_command_prints_the_table_for_two_result_files(tmp_path: Path) -> None:
    a, b = tmp_path / "heuristic.json", tmp_path / "llm.json"
    write_results_json(a, sample_run())
    write_results_json(b, _better_run())
    result = CliRunner().invoke(app, ["eval", "compare", str(a), str(b)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "A: heuristic · heuristic" in result.output and "B: llm · llm" in result.output
    assert "pass^2" in result.output


def test_compare_labels_two_results_json_files_by_planner_and_folder(tmp_path: Path) -> None:
    a, b = tmp_path / "core-heuristic" / "results.json", tmp_path / "naive" / "results.json"
    a.parent.mkdir()
    b.parent.mkdir()
    write_results_json(a, sample_run())
    write_results_json(b, _better_run())
    result = CliRunner().invoke(app, ["eval", "compare", str(a), str(b)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "A: heuristic · core-heuristic" in result.output and "B: llm · naive" in result.output
    assert "results.json" not in result.output


def test_compare_command_refuses_a_file_that_is_not_a_results_file(tmp_path: Path) -> None:
    a, b = tmp_path / "run.json", tmp_path / "other.json"
    write_results_json(a, sample_run())
    b.write_text('{"suite": "x"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "compare", str(a), str(b)], env=WIDE)
    assert result.exit_code == 2
    assert "not an eval results file (suite_version: Field required)" in result.output
