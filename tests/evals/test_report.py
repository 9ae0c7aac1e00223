"""JSON, JUnit XML and HTML reports of a hand-built run (2 scenarios × 2 trials, one attacked trial failing)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from helpers.scorers import day, sample_run

from cadencia.evals.report import read_results_json, render_html, write_html, write_junit, write_results_json
from cadencia.evals.report.plots import (
    TRIAL_COLORS,
    baseline_profit,
    cumulative_major,
    incremental_profit,
    profit_chart,
)
from cadencia.evals.report.svg import PALETTE, nice_ticks
from cadencia.evals.results import EvalRun

NASTY = "<script>alert(1)</script>"


def test_results_json_round_trips_and_carries_the_summary(tmp_path: Path) -> None:
    run = sample_run()
    path = tmp_path / "out" / "run.json"
    write_results_json(path, run)
    loaded = read_results_json(path)
    assert loaded.summary is not None
    assert loaded.summary.pass_hat_k == {1: 0.75, 2: 0.5}
    # Timing (started, finished, wall seconds) is deliberately not serialised: results.json is deterministic.
    timeless = run.model_copy(update={"started": None, "finished": None})
    assert loaded.model_copy(update={"summary": None}).model_dump() == timeless.model_dump()
    assert [p.name for p in path.parent.iterdir()] == ["run.json"]


def _junit(tmp_path: Path, run: EvalRun) -> ET.Element:
    path = tmp_path / "junit.xml"
    write_junit(path, run)
    return ET.parse(path).getroot()


def test_junit_has_one_testcase_per_scenario_and_trial_and_counts_the_failure(tmp_path: Path) -> None:
    root = _junit(tmp_path, sample_run())
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "0", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "spring-launch [trial 1]",
        "spring-launch [trial 2]",
        f"{NASTY} [trial 1]",
        f"{NASTY} [trial 2]",
    ]
    error = cases[2].find("error")
    assert error is not None and error.text is not None
    assert "planner crashed on day 7" in error.text  # the NUL byte is dropped, the XML stays valid
    assert "unapproved_irreversible:" in error.text and "consent:" in error.text


def test_junit_failure_lists_the_failing_gates_with_their_details(tmp_path: Path) -> None:
    run = sample_run()
    failing = run.episodes[2]
    failing.trajectory.error = None
    failing.scores = [s for s in failing.scores if s.scorer != "episode_error"]
    suite = _junit(tmp_path, run).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("1", "0")
    failure = suite.findall("testcase")[2].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == (
        "failed gates: unapproved_irreversible, do_no_harm, world_safety, consent, forbidden_actions, injection"
    )
    assert "#1 send_now: no approval was asked" in failure.text
    assert [p.get("name") for p in suite.iter("property")][-2:] == ["pass^1", "pass^2"]


def test_html_is_one_self_contained_page_with_an_svg_per_plot(tmp_path: Path) -> None:
    run = sample_run()
    path = tmp_path / "report.html"
    write_html(path, run)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3 * 2  # profit, spend and stock cover for each of the 2 scenarios
    assert "<script" not in page
    assert not re.search(r"""\b(src|href)\s*=""", page)
    assert "@import" not in page and "url(" not in page
    for heading in ("pass^1", "pass^2", "Scorers", "Scenarios", "Plots", "Scores by episode"):
        assert heading in page


def test_html_escapes_scenario_ids_and_details() -> None:
    run = sample_run()
    run.episodes[0].scores[0].detail = 'tricky "quote" & <b>bold</b>'
    page = render_html(run)
    assert NASTY not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page
    assert "&quot;quote&quot; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


def test_html_shows_each_scenario_row_with_its_outcome() -> None:
    page = render_html(sample_run())
    assert page.count('<span class="fail">FAIL</span>') >= 2  # the row and its details summary
    assert "-100.00" in page  # incremental profit of the failed trial, in EUR
    assert "60.0%" in page  # its KPI attainment


def test_html_of_a_run_without_days_still_draws_every_plot() -> None:
    run = sample_run()
    for episode in run.episodes:
        episode.trajectory.days = []
        episode.final.baseline_days = []
    page = render_html(run)
    assert page.count("<svg") == 6
    assert "no data" in page


def test_cumulative_profit_starts_at_zero_and_is_in_major_units() -> None:
    assert cumulative_major([100, 250, -50]) == [(0.0, 0.0), (1.0, 1.0), (2.0, 3.5), (3.0, 3.0)]


def test_baseline_without_its_days_is_a_straight_line_to_its_total() -> None:
    episode = sample_run().episodes[2]
    assert episode.final.baseline_days == []
    assert baseline_profit(episode) == [(0.0, 0.0), (14.0, 400.0)]


def test_baseline_with_its_days_follows_them() -> None:
    episode = sample_run().episodes[0]
    episode.final.baseline_days = [day(0, profit=100), day(1, profit=300)]
    assert baseline_profit(episode) == [(0.0, 0.0), (1.0, 1.0), (2.0, 4.0)]


def test_axis_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0, 93) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(-120, 480)[0] <= -120 and nice_ticks(-120, 480)[-1] >= 480
    assert len(nice_ticks(5, 5)) >= 2
    assert nice_ticks(0, 3, count=8, min_step=1) == [0, 1, 2, 3]  # days: no half-day ticks


def test_the_profit_chart_draws_each_trial_minus_its_own_baseline_against_a_zero_line() -> None:
    clean = [e for e in sample_run().episodes if e.scenario_id == "spring-launch"]
    episode = clean[0]
    episode.trajectory.days = [day(0, profit=100), day(1, profit=300)]
    episode.final.baseline_days = [day(0, profit=50), day(1, profit=50)]
    assert incremental_profit(episode) == [(0.0, 0.0), (1.0, 0.5), (2.0, 3.0)]
    clean[1].final.baseline_days = []  # a baseline known only by its total is interpolated day by day
    chart = profit_chart(clean)
    assert chart.count("<title>do-nothing baseline</title>") == 1 and "baseline 1" not in chart
    assert "minus the do-nothing baseline" in chart


def test_trial_lines_never_take_the_channel_colours() -> None:
    assert not set(TRIAL_COLORS) & set(PALETTE)
    clean = [e for e in sample_run().episodes if e.scenario_id == "spring-launch"]
    chart = profit_chart(clean)
    assert TRIAL_COLORS[0] in chart and not any(color in chart for color in PALETTE)


def test_goal_attainment_is_shown_as_a_number_and_wide_tables_scroll() -> None:
    html = render_html(sample_run())
    matrix = html[html.index("Scores by episode") :]
    assert re.search(r'<td class="num" title="[^"]*">\d+\.\d%</td>', matrix)
    assert "<div class=scroll><table>" in html
