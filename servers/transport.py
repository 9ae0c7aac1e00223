"""Running a built server over stdio or streamable HTTP."""

from __future__ import annotations

import ipaddress

import uvicorn

from cadencia.servers.app import CadenciaMCP

LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_stdio(server: CadenciaMCP) -> None:
    server.run("stdio")


def run_http(server: CadenciaMCP, *, log_level: str = "warning") -> None:
    """Serve `/mcp` with uvicorn; access logs are off so tokens and arguments never reach the logs."""
    app = server.streamable_http_app()
    config = uvicorn.Config(
        app,
        host=server.settings.host,
        port=server.settings.port,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()
