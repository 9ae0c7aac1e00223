"""Evaluate any MCP agent: serve the scenario's world over HTTP on 127.0.0.1 with a token, run the agent's command
once per simulated day, and score it from the world and the servers' own record (no trust in its account)."""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml
from pydantic import BaseModel

from cadencia.evals.episode import EpisodeSpec, Prepared
from cadencia.evals.trajectory import FinalState, Trajectory

STARTUP_SECONDS = 120
"""A loaded 2-core machine can take over 30 s to import and start `serve all`; a hung server still fails."""


class ExternalAgent(BaseModel):
    command: str
    timeout_seconds: float = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the MCP server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the MCP server did not start in time")


def world_server_command(spec: EpisodeSpec, *, limits: Path, port: int, token: str) -> list[str]:
    """`cadencia serve all` over the episode's world on 127.0.0.1:PORT; with a proxy overlay, the same server over
    stdio (its own policy off) behind `cadencia proxy`, which then holds the calls to the server policy."""
    policy = spec.server_policy or "off"
    http = ["--http", "--port", str(port), "--token", f"{token}:read,write"]
    serve = [sys.executable, "-m", "cadencia", "serve", "all", "--db", str(spec.directory / "agent.db")]
    serve += ["--limits", str(limits), "--workdir", str(spec.directory / "server")]
    if spec.proxy_overlay is None:
        return [*serve, *http, "--policy", policy]
    upstream = shlex.join([*serve, "--policy", "off"])
    proxy = [sys.executable, "-m", "cadencia", "proxy", "--upstream", upstream, "--overlay", str(spec.proxy_overlay)]
    return [*proxy, *http, "--policy", policy, "--workdir", str(spec.directory / "server")]


async def run_external_episode(spec: EpisodeSpec, agent: ExternalAgent) -> tuple[Trajectory, FinalState]:
    scenario = spec.scenario
    prepared = Prepared(spec)
    trajectory = Trajectory(
        scenario_id=scenario.id,
        trial=spec.trial,
        seed=spec.seed,
        planner="external",
        scenario_digest=spec.scenario_digest,
        server_policy=spec.server_policy,
    )
    limits = spec.directory / "limits.yaml"
    limits.write_text(yaml.safe_dump(scenario.world.limits.model_dump(mode="json")), encoding="utf-8")
    goal_file = spec.directory / "goal.json"
    goal_file.write_text(scenario.goal.model_dump_json(indent=2), encoding="utf-8")
    token, port = secrets.token_urlsafe(24), _free_port()
    server_log = (spec.directory / "server.log").open("wb")
    server = subprocess.Popen(
        world_server_command(spec, limits=limits, port=port, token=token),
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    agent_log = (spec.directory / "agent.log").open("ab")
    try:
        _wait_for(port, server)
        for day in range(scenario.horizon_days):
            env = os.environ | {
                "CADENCIA_MCP_URL": f"http://127.0.0.1:{port}/mcp",
                "CADENCIA_TOKEN": token,
                "CADENCIA_GOAL_FILE": str(goal_file),
                "CADENCIA_DAY": str(day),
                "CADENCIA_HORIZON_DAYS": str(scenario.horizon_days),
            }
            try:
                subprocess.run(
                    shlex.split(agent.command),
                    env=env,
                    stdout=agent_log,
                    stderr=subprocess.STDOUT,
                    timeout=agent.timeout_seconds,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                trajectory.error = f"agent command timed out on day {day}"
            prepared.advance()
    except (RuntimeError, OSError) as exc:
        trajectory.error = f"{type(exc).__name__}: {exc}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
        agent_log.close()
    return prepared.finish(spec, trajectory)
