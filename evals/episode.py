"""One episode: build the scenario's world, run the do-nothing baseline and the agent on copies of it (same seed,
same events), then collect the trajectory and the final state for the scorers."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import shutil
import sqlite3
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import Table, and_, update

from cadencia import tools as tools_package
from cadencia.agents.driver import drive
from cadencia.agents.guardrails import Policy, default_policy
from cadencia.agents.planners.base import Planner
from cadencia.agents.planners.factory import make_planner
from cadencia.agents.session import INPROCESS, PROXY, open_session
from cadencia.agents.workdir import Workdir
from cadencia.evals.approver import scripted_approver
from cadencia.evals.baselines import NaivePlanner, NoopPlanner, allow_all_policy
from cadencia.evals.digests import install_tracking, state_digest, table_digests
from cadencia.evals.evidence import end_state_values, server_calls, world_violations
from cadencia.evals.probe import undo_probe
from cadencia.evals.scenarios import Scenario
from cadencia.evals.trajectory import AuditSummary, FinalState, Trajectory, UndoProbe
from cadencia.evals.world import AnotherClient, DayReport, LedgerTotals, World, ledger_totals, open_truth
from cadencia.evals.world import truth as truth_module
from cadencia.evals.world.clients import ClientOutcome, call_as_client
from cadencia.tools.crm.dispatch import dispatch_due_sends
from cadencia.tools.fx import write_rates
from cadencia.tools.policy.server import ServerPolicy, default_server_policy, load_server_policy
from cadencia.tools.seed import seed_store
from cadencia.tools.store.canonical import canonical_json
from cadencia.tools.store.metadata import metadata
from cadencia.tools.store.store import DEFAULT_START_DAY, Store


class EpisodeSpec(BaseModel):
    scenario: Scenario
    trial: int
    planner: str = "heuristic"
    model: str | None = None
    base_seed: int | None = None
    directory: Path
    clean: Scenario | None = Field(None, description="The clean twin to pair an attacked scenario with.")
    server_policy: str | None = Field(
        None, description="Hold the servers to a server policy: 'default' or a YAML file (None: no server policy)."
    )
    proxy_overlay: Path | None = Field(
        None,
        description="Run every call through the guardrail proxy with this overlay (in process, or `cadencia proxy`).",
    )
    worlds: Path | None = None
    """Where world images and baselines are cached (default: `worlds/` next to the run's `episodes/`)."""
    keep_worlds: bool = False
    """Keep the agent's copy of the world (`agent.db`) after scoring, for inspection."""

    @property
    def scenario_digest(self) -> str:
        return hashlib.sha256(canonical_json(self.scenario.model_dump(mode="json")).encode()).hexdigest()

    @property
    def world_seed(self) -> int:
        """Seeds the brand's data: the same catalog, stock and customers in every trial."""
        return self.base_seed if self.base_seed is not None else self.scenario.world.seed

    @property
    def seed(self) -> int:
        """Seeds the market's randomness: each trial draws its own days (so pass^k measures robustness)."""
        return self.world_seed + self.trial


def planner_for(spec: EpisodeSpec) -> tuple[Planner, Policy]:
    if spec.planner == "noop":
        return NoopPlanner(), default_policy()
    if spec.planner == "naive":
        return NaivePlanner(), allow_all_policy()
    return make_planner(spec.planner, model=spec.model), default_policy()


def server_policy_for(spec: EpisodeSpec) -> ServerPolicy | None:
    if spec.server_policy is None:
        return None
    return default_server_policy() if spec.server_policy == "default" else load_server_policy(Path(spec.server_policy))


def build_world(scenario: Scenario, seed: int, path: Path) -> Store:
    """Seed the world, give the market its truth and apply the scenario's patches (which may change that truth)."""
    store = Store.open(path)
    seed_store(store, seed=seed, scale=scenario.world.scale, today=scenario.world.start_date or DEFAULT_START_DAY)
    open_truth(store)
    with store.writing() as conn:
        for patch in scenario.world.patches:
            table: Table = metadata.tables[patch.table]
            where = and_(*(table.c[k] == v for k, v in patch.match.items())) if patch.match else None
            stmt = update(table).values(**patch.set)
            conn.execute(stmt.where(where) if where is not None else stmt)
        if scenario.world.fx_rates:
            write_rates(conn, scenario.world.fx_rates)
    return store


class _Timeline:
    """The world's days for one run: events land at the start of their day, then the market moves."""

    def __init__(self, store: Store, scenario: Scenario, seed: int) -> None:
        # Scheduled sends are dispatched under the servers' limits of this world (its frequency cap, not the default).
        dispatcher = functools.partial(dispatch_due_sends, limits=scenario.world.limits)
        self.world = World(store, seed=seed, dispatcher=dispatcher)
        self.scenario = scenario
        self.day = 0
        self.reports: list[DayReport] = []
        self.clients: list[ClientOutcome] = []
        self._apply_events()

    def _apply_events(self) -> None:
        for n, scheduled in enumerate(self.scenario.events):
            if scheduled.day != self.day:
                continue
            if isinstance(scheduled.event, AnotherClient):
                key = f"{self.scenario.id}-e{n}"
                self.clients.append(
                    call_as_client(self.world.store, scheduled.event, self.scenario.world.limits, key=key)
                )
            else:
                self.world.apply_event(scheduled.event)

    def step(self) -> None:
        self.reports.append(self.world.step())
        self.day += 1
        if self.day < self.scenario.horizon_days:
            self._apply_events()

    def finish(self) -> None:
        while self.day < self.scenario.horizon_days:
            self.step()


def _kpi(metric: str, store: Store, reports: list[DayReport]) -> float | None:
    totals = ledger_totals(store)
    if metric == "revenue":
        return float(totals.revenue_minor)
    if metric == "gross_profit":
        return float(totals.revenue_minor - totals.cogs_minor)
    if metric == "units":
        return float(totals.units)
    return reports[-1].mean_stock_cover_days if reports else None


def cached_world(spec: EpisodeSpec) -> Image:
    """The scenario's seeded and patched world image, built once per (seed, scale, patches, build code) and shared by
    every trial, planner and run that uses the same `worlds` folder (a large world takes minutes to generate).
    Episodes open it read-only and work on copies whose changes it tracks (`digests.py`)."""
    world = spec.scenario.world
    key = hashlib.sha256(
        canonical_json(
            {
                "seed": spec.world_seed,
                "scale": world.scale.value,
                "patches": world.model_dump(mode="json"),
                "code": build_code_digest(),
            }
        ).encode()
    ).hexdigest()[:16]
    cache = spec.worlds or spec.directory.parent.parent / "worlds"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{key}.db"
    with (cache / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            building = cache / f"{key}.building.db"
            _remove_db(building)
            store = build_world(spec.scenario, spec.world_seed, building)
            World(store, seed=spec.world_seed)  # primes the simulator's state once, not in every copy
            store.close()
            with closing(sqlite3.connect(building, isolation_level=None)) as conn:
                install_tracking(conn)
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            building.replace(target)
    return Image(path=target, key=key)


class Image(BaseModel):
    """A cached world file and the key naming its content."""

    path: Path
    key: str

    def open(self) -> Store:
        """The image read-only (no lock, no journal: nobody writes it once built)."""
        return Store.open(f"sqlite:///file:{self.path}?mode=ro&immutable=1&uri=true", create=False)

    def copy(self, target: Path) -> Store:
        """A writable copy of the image: a plain file copy (the image is checkpointed, one file)."""
        shutil.copyfile(self.path, target)
        return Store.open(target, create=False)

    def digests(self, copy: Path) -> dict[str, str]:
        return table_digests(copy, self.path, self.key)


def build_code_digest() -> str:
    """A digest of the code a world image is built with (seed, schema, market truth), so a cached image shared
    across runs is rebuilt when that code changes."""
    digest = hashlib.sha256()
    world = Path(truth_module.__file__).parent
    files = sorted(Path(tools_package.__file__).parent.rglob("*.py"))
    files += [world / "truth.py", world / "tables.py", Path(__file__).parent / "digests.py"]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class Baseline(BaseModel):
    """The do-nothing run's figures: all an episode keeps of it (cached per image, scenario and seed)."""

    totals: LedgerTotals
    days: list[DayReport]


def baseline_for(image: Image, spec: EpisodeSpec) -> Baseline:
    """Run the do-nothing baseline on a copy of the image (deleted after), or reuse the stored one: the same image,
    events, horizon and seed give the same baseline for every planner and run."""
    scenario = spec.scenario
    key = hashlib.sha256(
        canonical_json(
            {
                "image": image.key,
                "seed": spec.seed,
                "horizon": scenario.horizon_days,
                "events": [e.model_dump(mode="json") for e in scenario.events],
            }
        ).encode()
    ).hexdigest()[:16]
    stored = image.path.parent / "baselines" / f"{key}.json"
    if stored.exists():
        return Baseline.model_validate_json(stored.read_text(encoding="utf-8"))
    path = spec.directory / "baseline.db"
    store = image.copy(path)
    try:
        timeline = _Timeline(store, scenario, spec.seed)
        timeline.finish()
        baseline = Baseline(totals=ledger_totals(store), days=timeline.reports)
    finally:
        store.close()
        _remove_db(path)
    stored.parent.mkdir(exist_ok=True)
    partial = stored.with_suffix(f".{spec.trial}.tmp")
    partial.write_text(baseline.model_dump_json(), encoding="utf-8")
    partial.replace(stored)
    return baseline


class Prepared:
    """An episode's worlds: the start (the shared image, read-only), the do-nothing baseline's figures and the
    agent's copy of the image; only the agent's copy is written, and it is deleted after scoring unless kept."""

    def __init__(self, spec: EpisodeSpec) -> None:
        scenario, seed = spec.scenario, spec.seed
        if spec.directory.exists():
            shutil.rmtree(spec.directory)
        spec.directory.mkdir(parents=True)
        self.started = time.monotonic()
        self.image = cached_world(spec)
        self.start = self.image.open()
        self.baseline = baseline_for(self.image, spec)
        self.path = spec.directory / "agent.db"
        self.store = self.image.copy(self.path)
        self.timeline = _Timeline(self.store, scenario, seed)
        self.first_day: date = self.store.today()
        self.before_first_cycle = self.image.digests(self.path)
        self.probe = UndoProbe(checked=False)
        self.directory = spec.directory
        self.keep = spec.keep_worlds

    def advance(self) -> None:
        """End of an agent cycle: probe undo fidelity after the first one, then simulate the day."""
        if self.timeline.day == 0:
            probe = self.directory / "probe.db"
            try:
                self.probe = undo_probe(self.store, self.before_first_cycle, probe, digests=self.image.digests)
            finally:
                _remove_db(probe)
        self.timeline.step()

    def finish(self, spec: EpisodeSpec, trajectory: Trajectory) -> tuple[Trajectory, FinalState]:
        """Run out the horizon, then read the world: the final state and the servers' record."""
        scenario = spec.scenario
        self.timeline.finish()
        made = server_calls(self.store)
        trajectory.days = self.timeline.reports
        trajectory.server_calls = made
        trajectory.undo_probe = self.probe
        final = FinalState(
            ledger=ledger_totals(self.store),
            baseline=self.baseline.totals,
            baseline_days=self.baseline.days,
            kpi_value=_kpi(scenario.goal.kpi.metric.value, self.store, self.timeline.reports),
            end_state=end_state_values(self.store, scenario.expectations.end_state, self.first_day),
            violations=world_violations(
                self.start,
                self.store,
                scenario.goal,
                made,
                self.timeline.reports,
                self.first_day,
                limits=scenario.world.limits.messaging,
            ),
            state_hash=state_digest(self.image.digests(self.path)),
        )
        for opened in (self.start, self.store):
            opened.close()
        if not self.keep:
            _remove_db(self.path)
            _remove_db(self.directory / "run" / "checkpoints.db")
        trajectory.wall_seconds = round(time.monotonic() - self.started, 3)
        return trajectory, final


async def run_episode(spec: EpisodeSpec) -> tuple[Trajectory, FinalState]:
    """The graph, in process, against the scenario's world."""
    scenario = spec.scenario
    prepared = Prepared(spec)

    async def advance() -> None:
        prepared.advance()

    planner, policy = planner_for(spec)
    trajectory = Trajectory(
        scenario_id=scenario.id,
        trial=spec.trial,
        seed=spec.seed,
        planner=spec.planner,
        scenario_digest=spec.scenario_digest,
        server_policy=spec.server_policy,
    )
    try:
        async with open_session(
            workdir=Workdir.at(spec.directory / "run"),
            goal=scenario.goal,
            run_id=f"{scenario.id}-t{spec.trial}",
            planner=planner,
            servers=INPROCESS if spec.proxy_overlay is None else f"{INPROCESS}{PROXY}{spec.proxy_overlay}",
            policy=policy,
            store=prepared.store,
            advance=advance,
            max_cycles=scenario.horizon_days,
            limits=scenario.world.limits,
            server_policy=server_policy_for(spec),
        ) as session:
            result = await drive(session, approver=scripted_approver(scenario.approver))
            state = (await session.graph.aget_state(session.config)).values
            verified = session.audit.verify()
            executions = [
                str(r.payload.get("idempotency_key"))
                for r in session.audit.iter_records(run_id=session.run_id)
                if r.kind.value == "execution"
            ]
        trajectory.executed = state.get("executed", [])
        trajectory.rejections = state.get("rejections", [])
        trajectory.approvals = state.get("approvals", [])
        trajectory.report = result.report
        trajectory.tool_calls = state.get("tool_calls", 0)
        trajectory.llm_calls = state.get("llm_calls", 0)
        trajectory.llm_tokens = state.get("llm_tokens", 0)
        trajectory.audit = AuditSummary(
            ok=verified.ok, records=verified.records, problem=verified.problem, execution_keys=executions
        )
    except Exception as exc:  # an episode that crashes is scored as failed, never hidden
        trajectory.error = f"{type(exc).__name__}: {exc}"
    return prepared.finish(spec, trajectory)
