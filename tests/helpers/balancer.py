"""HAProxy (Debian's package) in front of replicas for a test: round robin, TCP health checks, stopped after."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 15.0
REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "haproxy.cfg"
"""The example configuration from `deploy/`, so the test checks what the README tells a team to run."""


@dataclass(frozen=True)
class Balancer:
    url: str
    config: Path


def haproxy_config(port: int, backends: Sequence[int]) -> str:
    """`deploy/haproxy.cfg` with the test's ports: the listener and one `server` line per replica."""
    text = TEMPLATE.read_text(encoding="utf-8").replace("bind 0.0.0.0:8080", f"bind 127.0.0.1:{port}")
    lines = [line for line in text.splitlines() if not line.strip().startswith("server ")]
    servers = [f"    server replica{i} 127.0.0.1:{p} check inter 200ms fall 1 rise 2" for i, p in enumerate(backends)]
    return "\n".join(lines + servers) + "\n"


def haproxy_binary() -> str:
    """Debian installs it in /usr/sbin (not on every user's PATH); CI installs it (.ci/run), elsewhere we skip."""
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but haproxy is not installed: .ci/run installs Debian's haproxy")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    return found


@contextmanager
def haproxy(port: int, backends: Sequence[int], workdir: Path) -> Iterator[Balancer]:
    """HAProxy on loopback `port` in front of `backends` (replica ports), in the foreground, for the block."""
    binary = haproxy_binary()
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends), encoding="utf-8")
    log = workdir / "haproxy.log"
    subprocess.run([binary, "-c", "-q", "-f", str(config)], check=True)
    with log.open("wb") as out:
        process = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start: {log.read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield Balancer(url=f"http://127.0.0.1:{port}/mcp", config=config)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
