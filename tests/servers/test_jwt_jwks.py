"""JWT verification through a JWKS URL: the issuer's key set served on 127.0.0.1, keys picked by `kid` and cached,
and a stranger's key, an unknown or retired `kid` or an unreachable JWKS refused with a clear reason."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.http_serve import free_port
from jwt.algorithms import RSAAlgorithm
from starlette.testclient import TestClient

from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends
from cadencia.servers.jwt_auth import JwtSettings
from cadencia.servers.transport import http_app

ISSUER = "https://login.example.com/"
AUDIENCE = "https://mcp.example.com/mcp"
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


CURRENT, NEXT, STRANGER = _key(), _key(), _key()


class Jwks:
    """The issuer's published keys, changeable while served (a rotation), and how often they were fetched."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": CURRENT}
        self.fetches = 0

    def document(self) -> bytes:
        self.fetches += 1
        keys = [
            RSAAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": kid, "alg": "RS256", "use": "sig"}
            for kid, key in self.keys.items()
        ]
        return json.dumps({"keys": keys}).encode()


@pytest.fixture
def jwks() -> Iterator[tuple[Jwks, str]]:
    published = Jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = published.document()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield published, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def token(key: rsa.RSAPrivateKey, kid: str, **overrides: Any) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice@lysa", "exp": int(time.time()) + 600, "scope": "read"}
    return jwt.encode(claims | overrides, key, algorithm="RS256", headers={"kid": kid})


def _client(backends: Backends, jwks_url: str) -> TestClient:
    settings = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
    server = build_server(Capability.INVENTORY, backends=backends, port=8765, jwt=settings)
    return TestClient(http_app(server), base_url="http://127.0.0.1:8765")


def _status(client: TestClient, bearer: str) -> tuple[int, str]:
    response = client.post("/mcp", json=LIST, headers=HEADERS | {"authorization": f"Bearer {bearer}"})
    return response.status_code, response.headers.get("www-authenticate", "")


def test_tokens_are_checked_against_the_issuers_jwks(backends: Backends, jwks: tuple[Jwks, str]) -> None:
    published, url = jwks
    with _client(backends, url) as client:
        good = _status(client, token(CURRENT, "k1"))
        again = _status(client, token(CURRENT, "k1", sub="bob@lysa"))
        forged = _status(client, token(STRANGER, "k1"))
        unknown_kid = _status(client, token(STRANGER, "k9"))
    assert good[0] == 200 and again[0] == 200
    assert forged[0] == 401 and "signature does not verify" in forged[1]
    assert unknown_kid[0] == 401 and 'error="invalid_token"' in unknown_kid[1]
    assert published.fetches == 1, "keys are cached, and made-up kids cannot make the server hammer the issuer"


def test_only_the_keys_the_issuer_publishes_now_are_accepted(backends: Backends, jwks: tuple[Jwks, str]) -> None:
    published, url = jwks
    published.keys = {"k2": NEXT}
    with _client(backends, url) as client:
        status, _ = _status(client, token(NEXT, "k2"))
        retired = _status(client, token(CURRENT, "k1"))
    assert status == 200 and retired[0] == 401


def test_an_unreachable_jwks_is_a_clear_401(backends: Backends) -> None:
    with _client(backends, f"http://127.0.0.1:{free_port()}/jwks.json") as client:  # nothing listens there
        status, challenge = _status(client, token(CURRENT, "k1"))
    assert status == 401 and "signing keys could not be fetched" in challenge
