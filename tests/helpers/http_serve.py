"""Start `cadencia serve … --http` on a free loopback port for an end-to-end test, wait until it listens, stop it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

START_TIMEOUT_S = 60.0
"""Generous: a loaded CI machine can take tens of seconds to import the stack and open the store."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    """A running HTTP server: its MCP endpoint, and what it wrote to stderr once stopped."""

    url: str
    process: subprocess.Popen[bytes]
    stderr: bytes = b""


@contextmanager
def serving_http(args: Sequence[str]) -> Iterator[Served]:
    """`cadencia serve ARGS --http --port P` for the duration of the block; fails the test if it never listens."""
    port = free_port()
    command = [sys.executable, "-m", "cadencia", "serve", *args, "--http", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    served = Served(url=f"http://127.0.0.1:{port}/mcp", process=process)
    try:
        _wait_until_listening(process, port)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            _, served.stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, served.stderr = process.communicate()


def _wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    if process.poll() is None:
        process.kill()
    _, stderr = process.communicate()
    raise AssertionError(f"server on port {port} did not start: {stderr.decode(errors='replace')[-2000:]}")
