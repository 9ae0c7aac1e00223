"""Reports of an eval run: JSON (the record), JUnit XML (for CI), one self-contained HTML page, and a comparison."""

from cadencia.evals.report.compare import compare, compare_runs
from cadencia.evals.report.html import render_html, write_html
from cadencia.evals.report.json_report import read_results_json, write_results_json
from cadencia.evals.report.junit import junit_tree, write_junit

__all__ = [
    "compare",
    "compare_runs",
    "junit_tree",
    "read_results_json",
    "render_html",
    "write_html",
    "write_junit",
    "write_results_json",
]
