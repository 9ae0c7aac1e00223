"""A line or body that is no JSON-RPC message gets a JSON-RPC error, never silence or a 500; the server goes on."""

from __future__ import annotations

import json
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.http_serve import serving_http

pytestmark = pytest.mark.slow

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": "2025-11-25",
}


def _deep(depth: int, request_id: int = 7) -> bytes:
    nested = "[" * depth + "]" * depth
    call = '"method":"tools/call","params":{"name":"get_product","arguments":{"sku":' + nested + "}}"
    return ('{"jsonrpc":"2.0","id":' + str(request_id) + "," + call + "}").encode()


@pytest.fixture
def db(seeded_sqlite_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sandbox.db"
    shutil.copyfile(seeded_sqlite_template, target)
    return target


class Stdio:
    """A `cadencia serve` subprocess spoken to line by line."""

    def __init__(self, db: Path) -> None:
        command = [sys.executable, "-m", "cadencia", "serve", "inventory", "--db", str(db)]
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def reply(self, timeout: float = 20) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "no reply: the server stayed silent"
        return json.loads(self.proc.stdout.readline())


@pytest.fixture
def stdio(db: Path) -> Iterator[Stdio]:
    server = Stdio(db)
    server.send(json.dumps(INIT).encode())
    assert server.reply()["id"] == 1
    server.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
    yield server
    server.proc.kill()
    server.proc.wait()


@pytest.mark.parametrize("depth", [250, 1000, 5000])
def test_deeply_nested_json_on_stdio_gets_a_parse_error_and_the_server_keeps_serving(stdio: Stdio, depth: int) -> None:
    stdio.send(_deep(depth))
    error = stdio.reply()
    assert error["id"] is None and error["error"]["code"] == -32700 and "Parse error" in error["error"]["message"]
    stdio.send(
        b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"get_product","arguments":{"sku":"ML-000001"}}}'
    )
    assert stdio.reply()["result"]["structuredContent"]["sku"] == "ML-000001"


def test_a_line_that_is_not_json_rpc_gets_an_error_reply_on_stdio(stdio: Stdio) -> None:
    stdio.send(b"this is not json")
    assert stdio.reply()["error"]["code"] == -32700
    stdio.send(b'{"jsonrpc":"2.0","id":5}')
    assert stdio.reply()["error"]["code"] == -32600


@pytest.fixture
def http_url(db: Path) -> Iterator[str]:
    with serving_http(["inventory", "--db", str(db)]) as served:
        yield served.url


@pytest.mark.parametrize("body", [_deep(1000), b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xff\xfe"}}'])
def test_deep_or_invalid_utf8_json_over_http_is_a_400_with_a_parse_error(http_url: str, body: bytes) -> None:
    response = httpx.post(http_url, content=body, headers=HEADERS, timeout=20)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32700
    ok = httpx.post(http_url, json={"jsonrpc": "2.0", "id": 2, "method": "ping"}, headers=HEADERS, timeout=20)
    assert ok.status_code == 200
