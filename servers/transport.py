"""Running a built server over stdio or streamable HTTP."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from cadencia.servers.app import CadenciaMCP
from cadencia.servers.hosts import bare_host, is_loopback

__all__ = ["http_app", "is_loopback", "run_http", "run_stdio"]


def run_stdio(server: CadenciaMCP) -> None:
    server.run("stdio")


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


def http_app(server: CadenciaMCP) -> ASGIApp:
    """The ASGI app serving `/mcp` with the server's HTTP settings (Host/Origin checks always on)."""
    http = server.http
    app = server.streamable_http_app(
        json_response=http.json_response,
        stateless_http=http.stateless,
        transport_security=http.security,
        host=bare_host(http.host),
    )
    return _NoGetStream(app, "/mcp") if http.stateless and http.json_response else app


def run_http(server: CadenciaMCP, *, log_level: str = "warning") -> None:
    """Serve `/mcp` with uvicorn; access logs are off so tokens and arguments never reach the logs."""
    config = uvicorn.Config(
        http_app(server),
        host=bare_host(server.http.host),
        port=server.http.port,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()
