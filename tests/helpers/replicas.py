"""Two (or more) `cadencia serve all --http` processes on one database, and a plain JSON-RPC client for them.

The transport is one small class (`McpHttp`): a JSON-RPC POST to the stateless JSON endpoint, which stays the same
across SDK versions. Everything else talks in tool names, arguments and structured results.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from cadencia.tools.store.store import Store

PROTOCOL_VERSION = "2025-11-25"
HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": PROTOCOL_VERSION,
}
START_TIMEOUT_S = 30.0

ACCOUNT_CAP_MINOR = 96_000
"""Nine euros of headroom over the seed's active budgets (87,000): one raise of 70 € fits, two do not."""

LIMITS_YAML = f"""
budget:
  account_daily_cap_minor: {ACCOUNT_CAP_MINOR}
messaging:
  frequency_cap: 1
"""


@dataclass(frozen=True)
class Reply:
    """One tool call's outcome as the client saw it."""

    ok: bool
    data: dict[str, Any]
    text: str

    @property
    def internal(self) -> bool:
        return "[internal]" in self.text


class McpHttp:
    """Calls tools on one server over HTTP: `tools/call` as a JSON-RPC POST, the answer read as JSON."""

    def __init__(self, url: str, *, timeout_s: float = 60.0) -> None:
        self.url = url
        self._ids = count(1)
        self._client = httpx.AsyncClient(headers=HEADERS, timeout=timeout_s)

    async def call(self, tool: str, arguments: dict[str, Any]) -> Reply:
        request = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        }
        response = await self._client.post(self.url, json=request)
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            return Reply(
                ok=False, data={}, text=f"[jsonrpc {body['error'].get('code')}] {body['error'].get('message')}"
            )
        result = body["result"]
        text = "".join(block.get("text", "") for block in result.get("content", []))
        return Reply(ok=not result.get("isError", False), data=result.get("structuredContent") or {}, text=text)

    async def aclose(self) -> None:
        await self._client.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    """One server process; `kill()` is a SIGKILL (kill -9), `start()` (re)starts it on the same port and database."""

    db_url: str
    port: int
    log: Path
    limits: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    policy: str = "off"
    """`off` for the store's races (no person to ask); `default` to hold calls to the shipped server policy."""
    workdir: Path | None = None
    env: dict[str, str] | None = None
    """Extra environment, e.g. `CADENCIA_APPROVALS_URL` / `CADENCIA_AUDIT_URL` naming the shared database."""
    allowed_hosts: tuple[str, ...] = ()
    """Host headers to accept besides the bound address: the load balancer's, for replicas behind one."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        """Start the process and wait until it listens."""
        self.launch()
        self.wait_until_listening()

    def launch(self) -> None:
        command = [sys.executable, "-m", "cadencia", "serve", "all", "--db", self.db_url, "--http"]
        command += ["--port", str(self.port), "--policy", self.policy]
        if self.limits is not None:
            command += ["--limits", str(self.limits)]
        if self.workdir is not None:
            command += ["--workdir", str(self.workdir)]
        for host in self.allowed_hosts:
            command += ["--allowed-host", host]
        env = os.environ | self.env if self.env else None
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env)

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server on port {self.port} exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server on port {self.port} did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    """Replicas sharing one database, plus a direct handle on that database to set up trials and check invariants."""

    backend: str
    store: Store
    replicas: list[Replica] = field(default_factory=list)

    def clients(self) -> list[McpHttp]:
        return [McpHttp(r.url) for r in self.replicas]

    def server_logs(self) -> str:
        return "\n".join(r.log.read_text(errors="replace") for r in self.replicas if r.log.exists())
