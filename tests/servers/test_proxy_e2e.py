"""`cadencia proxy` end to end: a fake vendor over stdio and over HTTP (with a token the proxy must never show)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from helpers.http_serve import free_port
from helpers.mcp import call_error, call_ok
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from test_proxy import OVERLAY

from cadencia.agents.mcp_client import ConnectFailed, http_client

pytestmark = pytest.mark.slow
FAKE = str(Path(__file__).parents[1] / "vendor_fakes" / "fake_vendor_mcp.py")
SECRET = "vendor-secret-token-0123456789abcdef"


@pytest.fixture
def overlay_file(tmp_path: Path) -> Path:
    path = tmp_path / "fake.yaml"
    path.write_text(OVERLAY, encoding="utf-8")
    return path


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the fake vendor did not start")


def proxy_client(command: list[str], errlog: IO[str] | None = None) -> Client:
    """A client of `cadencia proxy` over stdio, with this test's environment (workdir, upstream token)."""
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    transport: Any = stdio_client(params, errlog=errlog) if errlog is not None else stdio_client(params)
    return Client(transport, mode="auto", cache=None)


@contextmanager
def vendor_over_http() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, FAKE, "--http", str(port), "--token", SECRET],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(process, port)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def proxy_command(overlay_file: Path, *upstream: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cadencia",
        "proxy",
        "--overlay",
        str(overlay_file),
        *upstream,
        "--log-level",
        "DEBUG",
    ]


async def test_proxy_over_stdio_guards_a_stdio_upstream(overlay_file: Path) -> None:
    command = proxy_command(overlay_file, "--upstream", f"{sys.executable} {FAKE}")
    async with proxy_client(command) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"vend_update_campaign_budget", "vend_get_account", "undo"} <= names
        done = await call_ok(
            client, "vend_update_campaign_budget", {"campaign_id": "cmp-1", "amount_micros": 110_000_000}
        )
        undone = await call_ok(client, "undo", {"undo_token": done["undo_token"]})
        assert undone["restored"] is True
        assert "approval required" in await call_error(client, "vend_delete_all_campaigns")


async def test_upstream_token_never_reaches_errors_or_logs(overlay_file: Path, tmp_path: Path) -> None:
    """The proxy served over HTTP with `serve`'s token auth, in front of an HTTP upstream that needs its own token."""
    stderr = tmp_path / "proxy.stderr"
    port, caller = free_port(), "caller-token-for-the-proxy-0123456789"
    os.environ["FAKE_VENDOR_TOKEN"] = SECRET
    try:
        with vendor_over_http() as url, stderr.open("w") as errlog:
            served = proxy_command(overlay_file, "--upstream-url", url, "--upstream-token-env", "FAKE_VENDOR_TOKEN")
            served += ["--http", "--port", str(port), "--token", f"{caller}:read,write"]
            process = subprocess.Popen(served, stdout=subprocess.DEVNULL, stderr=errlog, env=dict(os.environ))
            try:
                wait_until_listening(process, port)
                proxy_url = f"http://127.0.0.1:{port}/mcp"
                with pytest.raises(ConnectFailed, match="needs a token"):
                    async with http_client(proxy_url):
                        pass
                async with http_client(proxy_url, token=caller) as client:
                    await call_ok(client, "vend_get_campaign", {"campaign_id": "cmp-1"})
                    echoed = await call_error(client, "vend_get_account")
            finally:
                process.terminate()
                process.wait(timeout=10)
            os.environ["FAKE_VENDOR_TOKEN"] = SECRET + "-wrong"
            refused = subprocess.run(
                [*proxy_command(overlay_file, "--upstream-url", url, "--upstream-token-env", "FAKE_VENDOR_TOKEN")],
                capture_output=True,
                text=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
            )
    finally:
        del os.environ["FAKE_VENDOR_TOKEN"]
    assert "ACCOUNT_LOCKED" in echoed and SECRET not in echoed and "[upstream token]" in echoed
    assert SECRET not in stderr.read_text()
    assert refused.returncode == 2 and "cannot connect to upstream" in refused.stderr
    assert SECRET not in refused.stderr + refused.stdout
