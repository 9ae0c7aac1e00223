"""Approval latency: from a person's answer to the approved action running, cold (`cadencia approvals approve` in
a new process) and warm (a long-lived process answering, as the inbox does), against baselines in the same run.

Setup: `cadencia run --goal agents/goals/spring_launch.yaml` pauses on an irreversible action; each measurement
answers it on a fresh copy of that workdir. Cold rows time the CLI from launch to the audit record of the action's
execution (and to exit), with the child's CPU time; their baselines are `python -c pass` and importing the
approvals command's module (the floor a new process pays before it can do anything). Warm rows answer in a
process that already answered one approval: from the answer to the `act` step (the action ran), with CPU time.

Usage: python bench/bench_approve.py [--repeat 5] [--baseline-python OTHER/venv/bin/python]
(with --baseline-python, the same measurements run with another checkout's Python, in alternating rounds.)
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

GOAL = Path(__file__).resolve().parent.parent / "agents" / "goals" / "spring_launch.yaml"
IMPORT_FLOOR = "import cadencia.agents.approvals_cli"


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def paused_workdir(python: str, root: Path) -> tuple[Path, str]:
    """A workdir whose run waits on an approval, and that approval's id."""
    workdir = root / "paused"
    out = subprocess.run(
        [python, "-m", "cadencia", "run", "--goal", str(GOAL), "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"approvals approve (\S+/\S+)", out.stdout)
    if found is None:
        raise SystemExit(f"the run did not pause on an approval:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return workdir, found.group(1)


def _executed_at(workdir: Path, action_id: str) -> float | None:
    """Wall-clock time the audit log recorded the action's execution."""
    with sqlite3.connect(workdir / "audit.db") as conn:
        rows = conn.execute("SELECT recorded_at, payload FROM audit_records WHERE kind = 'execution'").fetchall()
    for recorded_at, payload in rows:
        if json.loads(payload).get("action_id") == action_id:
            return datetime.fromisoformat(recorded_at).timestamp()
    return None


def cold(python: str, template: Path, approval: str, root: Path) -> dict[str, float]:
    """One `approvals approve` in a new process: seconds to the action's execution record, to exit, and CPU."""
    copy = root / f"cold-{time.monotonic_ns()}"
    shutil.copytree(template, copy)
    cpu = _child_cpu()
    started = time.time()
    subprocess.run(
        [python, "-m", "cadencia", "approvals", "approve", approval, "--workdir", str(copy)],
        capture_output=True,
        check=False,
    )
    total = time.time() - started
    executed = _executed_at(copy, approval.split("/", 1)[1])
    shutil.rmtree(copy)
    to_action = executed - started if executed is not None else float("nan")
    return {"to_action": to_action, "total": total, "cpu": _child_cpu() - cpu}


def process(python: str, code: str) -> dict[str, float]:
    cpu = _child_cpu()
    started = time.perf_counter()
    subprocess.run([python, "-c", code], check=True)
    return {"total": time.perf_counter() - started, "cpu": _child_cpu() - cpu}


async def _warm_answers(template: Path, approval: str, root: Path, count: int) -> list[dict[str, float]]:
    """In this process: answer once to warm up, then `count` times more on fresh copies, timing answer → act."""
    from cadencia.agents.approvals import ApprovalChoice, ApprovalResponse
    from cadencia.agents.cli_common import recorded_session
    from cadencia.agents.driver import drive, pending_approval
    from cadencia.agents.runs import RunIndex
    from cadencia.agents.workdir import Workdir

    run_id = approval.split("/", 1)[0]
    timings = []
    for i in range(count + 1):
        copy = root / f"warm-{i}"
        shutil.copytree(template, copy)
        where = Workdir.at(copy)
        marks: dict[str, tuple[float, float]] = {}

        def seen(node: str, _values: dict[str, Any], marks: dict[str, tuple[float, float]] = marks) -> None:
            marks.setdefault(node, (time.perf_counter(), time.process_time()))

        started = (time.perf_counter(), time.process_time())
        record = RunIndex(where.runs).get(run_id)
        assert record is not None
        async with recorded_session(record, where) as session:
            pending = await pending_approval(session)
            assert pending is not None and pending.approval_id == approval
            answer = ApprovalResponse(
                choice=ApprovalChoice.APPROVE, request_hash=pending.request_hash, approver="bench", note=""
            )
            await drive(session, resume=answer, on_event=seen)
        if i and "act" in marks:
            wall, cpu = marks["act"]
            timings.append({"to_action": wall - started[0], "cpu": cpu - started[1]})
    return timings


def warm(python: str, template: Path, approval: str, root: Path, count: int) -> list[dict[str, float]]:
    out = subprocess.run(
        [python, __file__, "--worker", str(template), approval, str(root), str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-python", help="Python of another checkout, measured in alternating rounds.")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.worker:
        import asyncio

        template, approval, root, count = opts.worker
        print(json.dumps(asyncio.run(_warm_answers(Path(template), approval, Path(root), int(count)))))
        return
    pythons = {"now": sys.executable} | ({"before": opts.baseline_python} if opts.baseline_python else {})
    with tempfile.TemporaryDirectory() as tmp:
        setups = {}
        for name, python in pythons.items():
            (Path(tmp) / name).mkdir()
            setups[name] = paused_workdir(python, Path(tmp) / name)
        rows: dict[str, list[dict[str, float]]] = {}
        for _ in range(opts.repeat):
            rows.setdefault("python -c pass", []).append(process(sys.executable, "pass"))
            for name, python in pythons.items():
                template, approval = setups[name]
                rows.setdefault(f"import the approvals command ({name})", []).append(process(python, IMPORT_FLOOR))
                rows.setdefault(f"cold: approvals approve ({name})", []).append(
                    cold(python, template, approval, Path(tmp) / name)
                )
        for name, python in pythons.items():
            template, approval = setups[name]
            rows[f"warm: answer in a process that answered before ({name})"] = warm(
                python, template, approval, Path(tmp) / name / "warm", opts.repeat
            )
    floor = _median(rows["python -c pass"], "total")
    print(f"| case (median of {opts.repeat}) | to the action s | to exit s | CPU s | ÷ python -c pass |")
    print("|---|---:|---:|---:|---:|")
    for label, measured in rows.items():
        to_action = f"{_median(measured, 'to_action'):.2f}" if "to_action" in measured[0] else "—"
        total = _median(measured, "total") if "total" in measured[0] else None
        shown = f"{total:.2f}" if total is not None else "—"
        ratio = f"{total / floor:.1f}×" if total is not None else "—"
        print(f"| {label} | {to_action} | {shown} | {_median(measured, 'cpu'):.2f} | {ratio} |")


if __name__ == "__main__":
    main()
