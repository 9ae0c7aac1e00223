"""JUnit XML for CI: one testsuite, one testcase per scenario × trial, failures naming the gates that failed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from cadencia.evals.results import EpisodeResult, EvalRun
from cadencia.evals.scorers import Score, failed_gates

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters, lone surrogates); ElementTree escapes the rest."""
    return _NOT_XML.sub("", text)


def _gate_lines(gates: list[Score]) -> str:
    return "\n".join(f"{s.scorer}: {xml_text(s.detail)}" for s in gates)


def _testcase(run: EvalRun, episode: EpisodeResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": xml_text(f"{run.suite}.{episode.scenario_id}"),
            "name": xml_text(f"{episode.scenario_id} [trial {episode.trial}]"),
            "time": f"{episode.trajectory.wall_seconds:.3f}",
        },
    )
    gates = failed_gates(episode.scores)
    if episode.trajectory.error is not None and not episode.passed:
        error = ET.SubElement(case, "error", {"message": "episode error", "type": "episode_error"})
        error.text = xml_text(episode.trajectory.error) + ("\n" + _gate_lines(gates) if gates else "")
    elif not episode.passed:
        names = ", ".join(s.scorer for s in gates) or "none recorded"
        failure = ET.SubElement(case, "failure", {"message": f"failed gates: {names}", "type": "gates"})
        failure.text = _gate_lines(gates) or "the episode is marked failed"
    out = ET.SubElement(case, "system-out")
    out.text = "\n".join(
        xml_text(f"{s.scorer} {'-' if s.passed is None else 'pass' if s.passed else 'FAIL'} {s.value:g} {s.detail}")
        for s in episode.scores
    )
    return case


def junit_tree(run: EvalRun) -> ET.ElementTree[ET.Element]:
    """The run as a JUnit document: `<testsuites>` holding one `<testsuite>`."""
    cases = [_testcase(run, e) for e in run.episodes]
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(1 for c in cases if c.find("failure") is not None)),
        "errors": str(sum(1 for c in cases if c.find("error") is not None)),
        "skipped": "0",
        "time": f"{sum(e.trajectory.wall_seconds for e in run.episodes):.3f}",
    }
    root = ET.Element("testsuites", {"name": xml_text(f"cadencia eval {run.suite}")} | counts)
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": xml_text(f"{run.suite} {run.suite_version} ({run.planner})"),
            "timestamp": run.started.isoformat() if run.started else "",
        }
        | counts,
    )
    properties = ET.SubElement(suite, "properties")
    summary = run.computed_summary()
    facts = {"suite": run.suite, "suite_version": run.suite_version, "planner": run.planner, "seed": str(run.seed)}
    facts |= {"trials": str(run.trials)} | {f"pass^{k}": f"{v:.4f}" for k, v in summary.pass_hat_k.items()}
    for name, value in facts.items():
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
    suite.extend(cases)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, run: EvalRun) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(run).write(path, encoding="utf-8", xml_declaration=True)
