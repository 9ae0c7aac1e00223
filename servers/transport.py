"""Running a built server over stdio or streamable HTTP."""

from __future__ import annotations

import json
import re

import anyio
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cadencia.servers.app import CadenciaMCP, HttpSettings
from cadencia.servers.auth import refusal_reason
from cadencia.servers.context import ALL_SCOPES
from cadencia.servers.hosts import bare_host, is_loopback
from cadencia.servers.stdio import serve_stdio

__all__ = ["http_app", "is_loopback", "run_http", "run_stdio", "serve_http"]


def run_stdio(server: CadenciaMCP) -> None:
    """Serve over stdio, answering every line the SDK cannot parse (see `servers.stdio`)."""
    anyio.run(serve_stdio, server)


class _NoGetStream:
    """405 for GET on the MCP path: a stateless JSON server has no server-to-client stream to offer."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app, self.path = app, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") == self.path:
            await send({"type": "http.response.start", "status": 405, "headers": [(b"allow", b"POST, DELETE")]})
            await send({"type": "http.response.body", "body": b"Method Not Allowed: this server answers POST only"})
            return
        await self.app(scope, receive, send)


class _ResourceServer:
    """RFC 9728 metadata naming the real issuer and every scope, and a `WWW-Authenticate` that says why.

    The SDK's own metadata lists only the required scope and, for static tokens, names this server as its
    authorization server (whose `/.well-known/oauth-authorization-server` does not exist); this answers first.
    """

    def __init__(self, app: ASGIApp, http: HttpSettings) -> None:
        self.app, self.http = app, http
        metadata: dict[str, object] = {
            "resource": http.resource_url,
            "scopes_supported": sorted(ALL_SCOPES),
            "bearer_methods_supported": ["header"],
        }
        if http.issuer:
            metadata["authorization_servers"] = [http.issuer]
        self.body = json.dumps(metadata).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET" and scope["path"].startswith("/.well-known/oauth-protected-resource"):
            headers = [(b"content-type", b"application/json"), (b"cache-control", b"public, max-age=3600")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": self.body})
            return

        async def explaining(message: Message) -> None:
            reason = refusal_reason()
            if message["type"] == "http.response.start" and message["status"] == 401 and reason:
                message = dict(message)
                message["headers"] = [
                    (k, _with_description(v, reason) if k.lower() == b"www-authenticate" else v)
                    for k, v in message["headers"]
                ]
            await send(message)

        await self.app(scope, receive, explaining)


def _with_description(challenge: bytes, reason: str) -> bytes:
    text = challenge.decode("latin-1")
    described = re.sub(r'error_description="[^"]*"', f'error_description="{reason}"', text)
    return described.encode("latin-1")


def http_app(server: CadenciaMCP) -> ASGIApp:
    """The ASGI app serving `/mcp` with the server's HTTP settings (Host/Origin checks always on)."""
    http = server.http
    app = server.streamable_http_app(
        json_response=http.json_response,
        stateless_http=http.stateless,
        transport_security=http.security,
        host=bare_host(http.host),
    )
    app = _NoGetStream(app, "/mcp") if http.stateless and http.json_response else app
    return _ResourceServer(app, http) if http.resource_url else app


def _uvicorn(server: CadenciaMCP, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        http_app(server),
        host=bare_host(server.http.host),
        port=server.http.port,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    return uvicorn.Server(config)


def run_http(server: CadenciaMCP, *, log_level: str = "warning") -> None:
    """Serve `/mcp` with uvicorn; access logs are off so tokens and arguments never reach the logs."""
    _uvicorn(server, log_level).run()


async def serve_http(server: CadenciaMCP, *, log_level: str = "warning") -> None:
    """`run_http` inside a running event loop (a proxy keeps its upstream connection open around it)."""
    await _uvicorn(server, log_level).serve()
