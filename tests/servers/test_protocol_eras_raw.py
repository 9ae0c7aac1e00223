"""Both protocol eras on the wire, written as raw JSON-RPC (no MCP client library): `cadencia serve all` over stdio
and over streamable HTTP answers a 2025-11-25 client (initialize handshake) and a 2026-07-28 client (discover, then
per-request `_meta`): version negotiation, tools, progress, resource templates, prompts, and the error shapes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.http_serve import serving_http

pytestmark = pytest.mark.slow

LEGACY, MODERN = "2025-11-25", "2026-07-28"
CLIENT = {"name": "raw-test", "version": "1"}
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": CLIENT,
    "io.modelcontextprotocol/clientCapabilities": {},
}
METHOD_NOT_FOUND, INVALID_PARAMS = -32601, -32602
START_AND_ANSWER_S = 120
"""Generous: a loaded CI machine takes seconds to start the server."""
Message = dict[str, Any]


def request(id_: int, method: str, params: Message | None = None, *, modern: bool = False) -> Message:
    body: Message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if modern:
        params = {**(params or {}), "_meta": {**(params or {}).get("_meta", {}), **MODERN_META}}
    if params is not None:
        body["params"] = params
    return body


def legacy_session() -> list[Message]:
    """Initialize (asking for a version from the future), then the calls every test checks."""
    init = request(1, "initialize", {"protocolVersion": "2099-01-01", "capabilities": {}, "clientInfo": CLIENT})
    return [init, {"jsonrpc": "2.0", "method": "notifications/initialized"}, *calls(modern=False)]


def modern_session() -> list[Message]:
    return [request(1, "server/discover", {}, modern=True), *calls(modern=True)]


def calls(*, modern: bool) -> list[Message]:
    progress = {"_meta": {"progressToken": "p-7"}}
    estimate = {"name": "crm_estimate_segment", "arguments": {"rules": {}}}
    return [
        request(2, "tools/list", modern=modern),
        request(3, "tools/call", {"name": "inventory_get_product", "arguments": {"sku": "ML-000001"}}, modern=modern),
        request(4, "tools/call", {"name": "inventory_get_product", "arguments": {"sku": "NOPE"}}, modern=modern),
        request(5, "tools/call", {"name": "inventory_get_product", "arguments": {"skux": "x"}}, modern=modern),
        request(6, "no/such_method", {}, modern=modern),
        request(7, "tools/call", estimate | progress, modern=modern),
        request(8, "resources/templates/list", modern=modern),
        request(9, "resources/read", {"uri": "cadencia://forecast/ML-000001"}, modern=modern),
        request(10, "resources/read", {"uri": "cadencia://forecast/NOPE"}, modern=modern),
        request(11, "prompts/list", modern=modern),
        request(12, "prompts/get", {"name": "weekly_performance_report", "arguments": {"weeks": "2"}}, modern=modern),
    ]


def check(answers: dict[int, Message], progress: list[Message], era: str) -> None:
    """What both transports must have answered, for either era."""
    tools = {t["name"]: t for t in answers[2]["result"]["tools"]}
    assert tools["inventory_get_product"]["annotations"]["readOnlyHint"] is True
    assert tools["inventory_set_price"]["annotations"]["destructiveHint"] is True
    assert tools["inventory_set_price"]["_meta"]["cadencia/reversibility"] == "reversible"
    found = answers[3]["result"]
    assert found.get("isError") is not True and found["structuredContent"]["sku"] == "ML-000001"
    assert json.loads(found["content"][0]["text"])["sku"] == "ML-000001"
    missing = answers[4]["result"]
    assert missing["isError"] is True and missing["content"][0]["text"].startswith("[not_found] No SKU 'NOPE'")
    bad_argument = answers[5]["result"]
    assert bad_argument["isError"] is True and "did you mean 'sku'" in bad_argument["content"][0]["text"]
    assert answers[6]["error"]["code"] == METHOD_NOT_FOUND and "result" not in answers[6]
    assert answers[7]["result"]["structuredContent"]["channels"]
    assert [p["params"]["progress"] for p in progress] == [0, 1, 2, 3, 4]
    assert {p["params"]["progressToken"] for p in progress} == {"p-7"}
    assert "cadencia://forecast/{sku}" in {t["uriTemplate"] for t in answers[8]["result"]["resourceTemplates"]}
    assert json.loads(answers[9]["result"]["contents"][0]["text"])["sku"] == "ML-000001"
    assert answers[10]["error"]["code"] == INVALID_PARAMS and "No SKU 'NOPE'" in answers[10]["error"]["message"]
    assert "daily_check" in {p["name"] for p in answers[11]["result"]["prompts"]}
    assert "last 2 week(s)" in answers[12]["result"]["messages"][0]["content"]["text"]
    if era == MODERN:
        assert all(answers[i]["result"]["resultType"] == "complete" for i in (3, 4, 5, 7))
        assert MODERN in answers[1]["result"]["supportedVersions"]
    else:
        assert answers[1]["result"]["protocolVersion"] == LEGACY  # a version from the future is answered with ours
        assert answers[1]["result"]["serverInfo"]["name"] == "cadencia-all"


def split(messages: list[Message]) -> tuple[dict[int, Message], list[Message]]:
    answers = {m["id"]: m for m in messages if "id" in m and ("result" in m or "error" in m)}
    progress = [m for m in messages if m.get("method") == "notifications/progress"]
    return answers, progress


@pytest.fixture
def db(seeded_sqlite_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sandbox.db"
    shutil.copyfile(seeded_sqlite_template, target)
    return target


def stdio_exchange(db: Path, workdir: Path, messages: list[Message]) -> list[Message]:
    """Talk to a fresh `serve all` over stdio: write each message, and for a request read lines up to its answer."""
    command = [sys.executable, "-m", "cadencia", "serve", "all", "--db", str(db), "--workdir", str(workdir)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None and process.stdout is not None
    deadline = threading.Timer(START_AND_ANSWER_S, process.kill)  # a hung server ends the read with EOF
    deadline.start()
    received: list[Message] = []
    try:
        for message in messages:
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()
            while "id" in message and not any(m.get("id") == message["id"] for m in received):
                line = process.stdout.readline()
                assert line, f"the server closed its output before answering {message['method']}"
                received.append(json.loads(line))
    finally:
        deadline.cancel()
        process.stdin.close()
        process.wait(timeout=30)
    return received


def test_stdio_serves_a_2025_client_on_raw_json_rpc(db: Path, tmp_path: Path) -> None:
    answers, progress = split(stdio_exchange(db, tmp_path / "work", legacy_session()))
    check(answers, progress, LEGACY)


@pytest.fixture(scope="module")
def http_url(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for both eras (stateless: no session carries over between the two)."""
    root = tmp_path_factory.mktemp("raw-http")
    shutil.copyfile(seeded_sqlite_template, root / "sandbox.db")
    # --sse: progress notifications need a stream; a JSON response carries only the answer.
    with serving_http(["all", "--db", str(root / "sandbox.db"), "--workdir", str(root / "work"), "--sse"]) as served:
        yield served.url


def http_exchange(url: str, messages: list[Message], era: str) -> list[Message]:
    """POST each message as its own request (stateless JSON responses; SSE when progress is streamed)."""
    received: list[Message] = []
    with httpx.Client(timeout=60) as http:
        for message in messages:
            headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
            if era == MODERN or message.get("method") != "initialize":
                headers["mcp-protocol-version"] = era
            if era == MODERN:
                headers["mcp-method"] = message["method"]
                named = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}.get(message["method"])
                if named:  # the 2026-07-28 HTTP binding repeats the target in a header
                    headers["mcp-name"] = message["params"][named]
            response = http.post(url, json=message, headers=headers)
            if "id" not in message:
                assert response.status_code == 202
                continue
            received += _messages(response)
    return received


def _messages(response: httpx.Response) -> list[Message]:
    if response.headers["content-type"].startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    return [response.json()]


@pytest.mark.parametrize(("era", "session"), [(LEGACY, legacy_session), (MODERN, modern_session)])
def test_streamable_http_serves_each_era_on_raw_json_rpc(http_url: str, era: str, session: Any) -> None:
    answers, progress = split(http_exchange(http_url, session(), era))
    check(answers, progress, era)


def test_stdio_serves_a_2026_client_even_when_it_closes_its_input_right_after_the_requests(
    db: Path, tmp_path: Path
) -> None:
    """`printf … | cadencia serve all`: every request written before stdin closed is still answered."""
    command = [sys.executable, "-m", "cadencia", "serve", "all", "--db", str(db), "--workdir", str(tmp_path / "w")]
    lines = "".join(json.dumps(m) + "\n" for m in modern_session())
    done = subprocess.run(command, input=lines, capture_output=True, text=True, timeout=START_AND_ANSWER_S, check=True)
    answers, progress = split([json.loads(line) for line in done.stdout.splitlines() if line.strip()])
    check(answers, progress, MODERN)
