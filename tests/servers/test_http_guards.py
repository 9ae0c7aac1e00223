"""HTTP guards (issue 13 items 5 and 7): Host/Origin checked on every bind, loopback aliases included; GET on a
stateless JSON server is 405; `[::1]` binds; public binds need long tokens; a refused token is one clear line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from starlette.testclient import TestClient

from cadencia.servers.app import Capability, build_server
from cadencia.servers.cli import serve
from cadencia.servers.context import Backends
from cadencia.servers.hosts import http_security, is_loopback
from cadencia.servers.transport import http_app

HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@pytest.fixture
def loopback_alias(backends: Backends) -> Iterator[TestClient]:
    """A server bound to 127.0.0.2, which the SDK alone would leave without Host/Origin checks."""
    server = build_server(Capability.INVENTORY, backends=backends, host="127.0.0.2", port=8765)
    with TestClient(http_app(server), base_url="http://127.0.0.2:8765") as client:
        yield client


def test_a_loopback_alias_refuses_a_foreign_host_and_origin(loopback_alias: TestClient) -> None:
    assert loopback_alias.post("/mcp", json=PING, headers=HEADERS).status_code == 200
    evil_host = loopback_alias.post("/mcp", json=PING, headers=HEADERS | {"host": "evil.example"})
    assert evil_host.status_code == 421
    evil_origin = loopback_alias.post("/mcp", json=PING, headers=HEADERS | {"origin": "http://evil.example"})
    assert evil_origin.status_code == 403


def test_get_on_a_stateless_json_server_is_405_not_an_endless_stream(loopback_alias: TestClient) -> None:
    response = loopback_alias.get("/mcp", headers={"accept": "text/event-stream"})
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


def test_an_ipv6_loopback_bind_is_accepted_and_checked(backends: Backends) -> None:
    assert is_loopback("[::1]") and is_loopback("127.0.0.2") and not is_loopback("0.0.0.0")
    assert "[::1]:8765" in http_security("[::1]", 8765).allowed_hosts
    server = build_server(Capability.INVENTORY, backends=backends, host="[::1]", port=8765)
    with TestClient(http_app(server), base_url="http://[::1]:8765") as client:
        assert client.post("/mcp", json=PING, headers=HEADERS).status_code == 200
        assert client.post("/mcp", json=PING, headers=HEADERS | {"host": "evil.example"}).status_code == 421


def test_every_bind_gets_explicit_host_checks() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "[::1]", "0.0.0.0", "203.0.113.5"):
        settings = http_security(host, 9000)
        assert settings.enable_dns_rebinding_protection, host
        assert not any(h.startswith("evil") for h in settings.allowed_hosts)
    assert http_security("0.0.0.0", 9000, ["shop.example:443"]).allowed_hosts == ["0.0.0.0:9000", "shop.example:443"]


def test_a_public_bind_refuses_a_short_token() -> None:
    with pytest.raises(typer.BadParameter, match="at least 32 characters"):
        serve(Capability.INVENTORY, http=True, host="0.0.0.0", token=["x:read"])
    with pytest.raises(typer.BadParameter, match="requires --token"):
        serve(Capability.INVENTORY, http=True, host="0.0.0.0", token=None)
