"""OAuth 2.1 resource server: JWTs from an external issuer (PyJWT), RFC 9728 metadata, clear refusals, the
subject available to tools; static tokens keep working next to it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp.server.auth.middleware.auth_context import get_access_token
from starlette.testclient import TestClient

from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends
from cadencia.servers.jwt_auth import JwtSettings
from cadencia.servers.transport import http_app

ISSUER = "https://login.example.com/"
AUDIENCE = "https://mcp.example.com/mcp"
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
STATIC = "s" * 40


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING, STRANGER = _key(), _key()


def _pem(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


def token(*, key: rsa.RSAPrivateKey = SIGNING, **overrides: Any) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice@lysa", "exp": int(time.time()) + 600, "scope": "read write"}
    claims |= overrides
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256")


@pytest.fixture
def client(backends: Backends) -> Iterator[TestClient]:
    server = build_server(
        Capability.INVENTORY,
        backends=backends,
        port=8765,
        tokens={STATIC: frozenset({"read"})},
        jwt=JwtSettings(issuer=ISSUER, audience=AUDIENCE, public_key_pem=_pem(SIGNING)),
    )
    with TestClient(http_app(server), base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


def _post(client: TestClient, bearer: str | None, body: dict[str, Any] = LIST) -> Any:
    auth = {"authorization": f"Bearer {bearer}"} if bearer else {}
    return client.post("/mcp", json=body, headers=HEADERS | auth)


def test_a_good_token_lists_the_tools(client: TestClient) -> None:
    response = _post(client, token())
    assert response.status_code == 200
    assert any(t["name"] == "get_product" for t in response.json()["result"]["tools"])


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (lambda: token(key=STRANGER), "signature does not verify"),
        (lambda: token(exp=int(time.time()) - 3600), "expired"),
        (lambda: token(aud="https://other.example/mcp"), "not for this server"),
        (lambda: token(iss="https://evil.example/"), "not issued by https://login.example.com/"),
        (lambda: token(sub=None), "not a valid JWT"),
        (lambda: "not-a-jwt", "not a valid JWT"),
    ],
)
def test_a_bad_token_is_401_with_the_reason_in_www_authenticate(client: TestClient, bad: Any, reason: str) -> None:
    response = _post(client, bad())
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge and reason in challenge
    assert "resource_metadata=" in challenge


def test_a_token_without_the_read_scope_is_403_insufficient_scope(client: TestClient) -> None:
    response = _post(client, token(scope="pii"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_a_read_token_cannot_write_and_the_tool_says_which_scope(client: TestClient) -> None:
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call"}
    args = {"sku": "ML-000001", "price_minor": 2800, "currency": "EUR", "idempotency_key": "jwt-write-0001"}
    result = _post(client, token(scope="read"), call | {"params": {"name": "set_price", "arguments": args}}).json()
    assert result["result"]["isError"] and "'write' scope" in result["result"]["content"][0]["text"]


def test_the_metadata_names_the_issuer_and_every_scope(client: TestClient) -> None:
    response = client.get("/.well-known/oauth-protected-resource/mcp")
    assert response.status_code == 200
    metadata = json.loads(response.text)
    assert metadata["resource"] == "http://127.0.0.1:8765/mcp"
    assert metadata["authorization_servers"] == [ISSUER]
    assert metadata["scopes_supported"] == ["approve", "pii", "read", "write"]


def test_static_tokens_still_work_and_name_no_authorization_server(backends: Backends) -> None:
    server = build_server(Capability.INVENTORY, backends=backends, port=8765, tokens={STATIC: frozenset({"read"})})
    with TestClient(http_app(server), base_url="http://127.0.0.1:8765") as client:
        assert _post(client, STATIC).status_code == 200
        assert _post(client, "x" * 40).status_code == 401
        metadata = client.get("/.well-known/oauth-protected-resource/mcp").json()
    assert "authorization_servers" not in metadata and "write" in metadata["scopes_supported"]


async def test_the_subject_reaches_the_tool_call(backends: Backends, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []
    from cadencia.servers import inventory

    original = inventory.backends

    def spying(ctx: Any) -> Backends:
        access = get_access_token()
        seen.append(access.subject if access else None)
        return original(ctx)

    monkeypatch.setattr(inventory, "backends", spying)
    server = build_server(
        Capability.INVENTORY,
        backends=backends,
        port=8765,
        jwt=JwtSettings(issuer=ISSUER, audience=AUDIENCE, public_key_pem=_pem(SIGNING)),
    )
    call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get_product"}}
    with TestClient(http_app(server), base_url="http://127.0.0.1:8765") as client:
        _post(
            client, token(sub="bob@lysa"), call | {"params": {"name": "get_product", "arguments": {"sku": "ML-000001"}}}
        )
    assert seen == ["bob@lysa"]
