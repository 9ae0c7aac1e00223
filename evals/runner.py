"""Run a suite: every scenario × trial as an episode, in parallel processes, resumable; then write the reports.

The runner only orchestrates: episodes produce evidence, scorers judge it, reports present it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from difflib import get_close_matches
from pathlib import Path

from pydantic import BaseModel, ValidationError

from cadencia.evals.episode import EpisodeSpec, run_episode
from cadencia.evals.external import ExternalAgent, run_external_episode
from cadencia.evals.metrics import summarize
from cadencia.evals.results import EpisodeResult, EvalRun
from cadencia.evals.scenarios import Scenario, ScenarioError, clean_twin, load_suite
from cadencia.evals.scorers import episode_passed, score_episode
from cadencia.evals.scorers.measures import attainment, forbidden_keys, violation_key
from cadencia.evals.trajectory import CleanTwin, FinalState, Trajectory


class RunOptions(BaseModel):
    suite: Path
    planner: str = "heuristic"
    model: str | None = None
    trials: int = 1
    workers: int = 1
    seed: int | None = None
    out: Path
    only: list[str] = []
    agent_cmd: str | None = None
    server_policy: str | None = None
    proxy_overlay: Path | None = None
    """Every call goes through the guardrail proxy with this overlay (in process, or `cadencia proxy` for agent_cmd)."""
    worlds: Path | None = None
    """Cache of world images and baselines (default: OUT/worlds); share it between runs to build each world once."""
    keep_worlds: bool = False
    """Keep each episode's final world and checkpoints (by default only what the reports need is kept)."""


def episode_dir(out: Path, scenario_id: str, trial: int) -> Path:
    return out / "episodes" / f"{scenario_id}__t{trial}"


def _judge(scenario: Scenario, spec: EpisodeSpec, trajectory: Trajectory, final: FinalState) -> EpisodeResult:
    scores = score_episode(scenario, trajectory, final)
    passed = episode_passed(scores)
    return EpisodeResult(
        scenario_id=scenario.id, trial=spec.trial, passed=passed, scores=scores, trajectory=trajectory, final=final
    )


TIMING = "wall_seconds.txt"
"""Beside an episode's result.json: its wall time, kept out of the result so results stay deterministic."""


def load_result(path: Path) -> EpisodeResult:
    """A stored episode result with its wall time (0.0 when the timing file is missing)."""
    result = EpisodeResult.model_validate_json(path.read_text(encoding="utf-8"))
    timing = path.parent / TIMING
    if timing.exists():
        result.trajectory.wall_seconds = float(timing.read_text(encoding="utf-8"))
    return result


def _episode(spec: EpisodeSpec, agent_cmd: str | None) -> tuple[Trajectory, FinalState]:
    if agent_cmd:
        return asyncio.run(run_external_episode(spec, ExternalAgent(command=agent_cmd)))
    return asyncio.run(run_episode(spec))


def _clean_run(spec: EpisodeSpec, agent_cmd: str | None) -> CleanTwin | None:
    """The attacked episode's clean twin: same agent, same trial seed, no attack; what it did is kept for pairing."""
    if spec.clean is None:
        return None
    twin = spec.clean
    update = {"scenario": twin, "clean": None, "directory": spec.directory.with_name(f"{spec.directory.name}__clean")}
    trajectory, final = _episode(spec.model_copy(update=update), agent_cmd)
    return CleanTwin(
        scenario_id=twin.id,
        forbidden=forbidden_keys(twin, trajectory.server_calls),
        violations=[violation_key(v) for v in final.violations],
        attainment=attainment(twin, final),
        passed=episode_passed(score_episode(twin, trajectory, final)),
        error=trajectory.error,
    )


def run_one(spec_json: str, agent_cmd: str | None) -> str:
    """Worker entry point (a separate process): run, score and store one episode (with its clean twin when it
    carries an attack); returns the result file path."""
    spec = EpisodeSpec.model_validate_json(spec_json)
    clean = _clean_run(spec, agent_cmd)
    trajectory, final = _episode(spec, agent_cmd)
    final.clean = clean
    result = _judge(spec.scenario, spec, trajectory, final)
    target = spec.directory / "result.json"
    (spec.directory / TIMING).write_text(f"{trajectory.wall_seconds:.3f}", encoding="utf-8")
    tmp = target.with_suffix(".tmp")
    tmp.write_text(result.model_dump_json(), encoding="utf-8")
    tmp.replace(target)
    return str(target)


def _finished(path: Path, spec: EpisodeSpec) -> EpisodeResult | None:
    """A stored result for exactly this episode (same scenario content, planner and seed), else None."""
    if not path.exists():
        return None
    try:
        result = load_result(path)
    except (ValidationError, json.JSONDecodeError, ValueError):
        return None
    same = (
        result.trajectory.seed == spec.seed
        and result.trajectory.planner == spec.planner
        and result.trajectory.scenario_digest == spec.scenario_digest
        and result.trajectory.server_policy == spec.server_policy
    )
    return result if same else None


Progress = Callable[[EpisodeResult, bool], None]
"""Called once per episode with (result, resumed_from_disk)."""


def selected_scenarios(scenarios: list[Scenario], only: list[str]) -> list[Scenario]:
    """The scenarios `only` names (all when it names none); an id the suite lacks is an error, never an empty run."""
    if not only:
        return list(scenarios)
    known = {s.id for s in scenarios}
    unknown = [wanted for wanted in only if wanted not in known]
    if unknown:
        hints = [
            f"{u!r} (did you mean {m[0]!r}?)" if (m := get_close_matches(u, known, n=1)) else repr(u) for u in unknown
        ]
        raise ScenarioError(f"--only names no scenario of this suite: {', '.join(hints)}")
    return [s for s in scenarios if s.id in only]


def _with_closest(wanted: str, known: set[str]) -> str:
    closest = get_close_matches(wanted, sorted(known), n=1)
    return f"{wanted!r} (did you mean {closest[0]!r}?)" if closest else repr(wanted)


def run_suite(options: RunOptions, *, on_episode: Progress | None = None) -> EvalRun:
    suite = load_suite(options.suite)
    scenarios = selected_scenarios(suite.scenarios, options.only)
    planner = "external" if options.agent_cmd else options.planner
    started = datetime.now(UTC)
    specs = [
        EpisodeSpec(
            scenario=scenario,
            trial=trial,
            planner=planner,
            model=options.model,
            base_seed=options.seed,
            directory=episode_dir(options.out, scenario.id, trial),
            clean=clean_twin(scenario, suite.scenarios),
            server_policy=options.server_policy,
            proxy_overlay=options.proxy_overlay,
            worlds=options.worlds,
            keep_worlds=options.keep_worlds,
        )
        for scenario in scenarios
        for trial in range(options.trials)
    ]
    results: dict[tuple[str, int], EpisodeResult] = {}
    pending: list[EpisodeSpec] = []
    for spec in specs:
        done = _finished(spec.directory / "result.json", spec)
        if done is not None:
            results[(spec.scenario.id, spec.trial)] = done
            if on_episode:
                on_episode(done, True)
        else:
            pending.append(spec)
    if pending:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, options.workers), mp_context=context) as pool:
            futures = {pool.submit(run_one, s.model_dump_json(), options.agent_cmd): s for s in pending}
            for future in as_completed(futures):
                result = load_result(Path(future.result()))
                results[(result.scenario_id, result.trial)] = result
                if on_episode:
                    on_episode(result, False)
    episodes = [results[(s.scenario.id, s.trial)] for s in specs]
    run = EvalRun(
        suite=suite.name,
        suite_version=suite.version,
        planner=planner,
        seed=options.seed if options.seed is not None else -1,
        trials=options.trials,
        started=started,
        finished=datetime.now(UTC),
        episodes=episodes,
    )
    run.summary = summarize(episodes)
    return run
