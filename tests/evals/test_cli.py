"""`cadencia eval`: a sub-app whose `run`, `compare` and `schema` are real subcommands; a bare suite path runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cadencia.cli import app
from cadencia.evals.scenarios import SHIPPED_SUITES, ScenarioError, resolve_suite, shipped_suites

WIDE = {"COLUMNS": "200"}


def test_eval_compare_has_its_own_help() -> None:
    result = CliRunner().invoke(app, ["eval", "compare", "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Usage: cadencia eval compare" in result.output
    assert "Results JSON of the reference run" in result.output


def test_eval_help_lists_run_compare_and_schema() -> None:
    result = CliRunner().invoke(app, ["eval", "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in ("run", "compare", "schema"):
        assert f"│ {name} " in result.output


def test_eval_schema_prints_the_scenario_json_schema() -> None:
    result = CliRunner().invoke(app, ["eval", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert "world" in schema["properties"]


def test_a_bare_suite_path_is_run_as_a_suite(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-suite"
    result = CliRunner().invoke(app, ["eval", str(missing), "--planner", "noop"], env=WIDE)
    assert result.exit_code == 2
    assert "Usage: cadencia eval run" in result.output
    assert "not a suite folder" in result.output


def test_eval_options_before_the_suite_still_run_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--planner", "noop", str(tmp_path / "none")], env=WIDE)
    assert result.exit_code == 2
    assert "not a suite folder" in result.output


def test_a_shipped_suite_resolves_by_its_bare_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./smoke here: the name must resolve to the shipped suite
    result = CliRunner().invoke(app, ["eval", "smoke", "--planner", "noop", "--only", "none"], env=WIDE)
    assert result.exit_code == 2  # the suite was found; the scenario id was not
    assert "not a suite folder" not in result.output
    assert "--only names no scenario of this suite: 'none'" in result.output


def test_an_only_id_the_suite_lacks_is_refused_with_the_closest_id(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["eval", "smoke", "--planner", "noop", "--only", "smoke.injected-reveiw", "--out", str(out)], env=WIDE
    )
    assert result.exit_code == 2
    assert "did you mean 'smoke.injected-review'?" in result.output
    assert not out.exists()  # nothing ran, nothing written


def test_an_unknown_suite_name_is_refused_listing_the_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["eval", "smoek", "--planner", "noop"], env=WIDE)
    assert result.exit_code == 2
    assert "not a suite folder" in result.output
    assert "(shipped: core, regression, smoke)" in result.output


def test_a_folder_given_as_a_path_wins_over_a_shipped_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smoke").mkdir()
    assert resolve_suite(Path("smoke")) == Path("smoke")
    assert resolve_suite(Path("core")) == SHIPPED_SUITES / "core"
    assert {"smoke", "core", "regression"} <= set(shipped_suites())
    with pytest.raises(ScenarioError, match="shipped: "):
        resolve_suite(Path("evals/suites/nope"))
