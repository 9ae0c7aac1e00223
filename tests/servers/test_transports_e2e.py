"""End to end over real transports: a stdio subprocess per entry point, and streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from helpers.http_serve import serving_http
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from cadencia.agents.mcp_client import ConnectFailed, http_client

pytestmark = pytest.mark.slow

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


@pytest.fixture
def db(seeded_sqlite_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sandbox.db"
    shutil.copyfile(seeded_sqlite_template, target)
    return target


@pytest.mark.parametrize(
    ("capability", "tool"),
    [
        ("inventory", "list_products"),
        ("ads", "list_campaigns"),
        ("reviews", "list_reviews"),
        ("crm", "list_segments"),
        ("all", "inventory_list_products"),
    ],
)
async def test_each_server_answers_a_client_over_stdio(db: Path, capability: str, tool: str) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "cadencia", "serve", capability, "--db", str(db)]
    )
    with anyio.fail_after(30):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            assert tool in names
            result = await session.call_tool(tool, {"limit": 2})
            assert not result.is_error, result.content


@pytest.fixture
def http_server(db: Path) -> Iterator[str]:
    tokens = ["--token", "writer-token-123:read,write", "--token", "reader-token-123:read"]
    with serving_http(["all", "--db", str(db), *tokens]) as served:
        yield served.url
    assert b"writer-token-123" not in served.stderr and b"reader-token-123" not in served.stderr, "a token in the logs"


async def _call(url: str, token: str, tool: str, args: dict[str, object]) -> tuple[bool, str]:
    async with http_client(url, token=token) as client:
        result = await client.call_tool(tool, args)
        return bool(result.is_error), result.content[0].text  # type: ignore[union-attr]


async def test_http_requires_a_token_and_rejects_a_bad_host(http_server: str) -> None:
    async with httpx.AsyncClient() as client:
        missing = await client.post(http_server, json=INIT, headers=HEADERS)
        assert missing.status_code == 401
        assert "resource_metadata" in missing.headers.get("www-authenticate", "")
        wrong = await client.post(http_server, json=INIT, headers=HEADERS | {"Authorization": "Bearer nope-nope"})
        assert wrong.status_code == 401
        assert "nope-nope" not in wrong.text
        bad_host = await client.post(
            http_server,
            json=INIT,
            headers=HEADERS | {"Authorization": "Bearer writer-token-123", "Host": "evil.example"},
        )
        assert bad_host.status_code == 421


async def test_http_token_scopes_decide_what_may_change(http_server: str) -> None:
    args = {"sku": "ML-000001", "price_minor": 2800, "currency": "EUR"}
    with anyio.fail_after(30):
        failed, text = await _call(http_server, "reader-token-123", "inventory_set_price", args)
        assert failed and "write" in text
        failed, _ = await _call(http_server, "reader-token-123", "inventory_get_product", {"sku": "ML-000001"})
        assert not failed
        failed, text = await _call(http_server, "writer-token-123", "inventory_set_price", args)
        assert not failed, text


async def test_a_refused_token_is_one_clear_line_not_a_traceback(http_server: str) -> None:
    with anyio.fail_after(30), pytest.raises(ConnectFailed) as raised:
        async with http_client(http_server, token="wrong-token-456"):
            pass
    text = str(raised.value)
    assert "\n" not in text and "wrong-token-456" not in text
    assert text.startswith(f"[connect_failed] {http_server} refused the token: HTTP 401 invalid_token")
