"""Connected SDK clients (in-process, stdio, streamable HTTP) with failures a person can read in one line.

Every path goes through `mcp.Client`, which negotiates the protocol era itself (`mode="auto"`: 2026-07-28 when the
server offers it, else the 2025-11-25 initialize handshake). An HTTP server that refuses the token is reported as
such (status, and the server's `WWW-Authenticate`), not as a transport traceback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.session import ElicitationFnT
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError

from cadencia.tools.errors import CadenciaError

_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class ConnectFailed(CadenciaError):
    """An MCP server could not be reached or refused us; the message says which and what to do."""

    code = "connect_failed"


@asynccontextmanager
async def memory_client(
    server: MCPServer[Any], *, mode: str = "auto", elicitation: ElicitationFnT | None = None
) -> AsyncIterator[Client]:
    """A connected client to a server running in this process (no transport, no framing at 2026-07-28)."""
    async with Client(server, mode=mode, cache=None, elicitation_callback=elicitation) as client:
        yield client


@asynccontextmanager
async def stdio_client(
    command: list[str], *, mode: str = "auto", elicitation: ElicitationFnT | None = None
) -> AsyncIterator[Client]:
    """A connected client to a server started as a subprocess speaking stdio."""
    params = StdioServerParameters(command=command[0], args=command[1:])
    async with Client(params, mode=mode, cache=None, elicitation_callback=elicitation) as client:
        yield client


def cadencia_stdio_command(db: str, capability: str = "all") -> list[str]:
    return [sys.executable, "-m", "cadencia", "serve", capability, "--db", db]


@asynccontextmanager
async def http_client(
    url: str, *, token: str | None = None, mode: str = "auto", elicitation: ElicitationFnT | None = None
) -> AsyncIterator[Client]:
    """A connected client to a streamable-HTTP server; a refused token or a dead URL raises `ConnectFailed`."""
    refused: list[httpx2.Response] = []

    async def remember_refusal(response: httpx2.Response) -> None:
        if response.status_code in (401, 403):
            refused.append(response)

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(
            httpx2.AsyncClient(
                headers=headers, timeout=httpx2.Timeout(60, read=300), event_hooks={"response": [remember_refusal]}
            )
        )
        try:
            client = await stack.enter_async_context(
                Client(
                    streamable_http_client(url, http_client=http),
                    mode=mode,
                    cache=None,
                    elicitation_callback=elicitation,
                )
            )
        except (MCPError, httpx2.HTTPError, OSError) as exc:
            raise _explain(url, token, refused, exc) from None
        except BaseExceptionGroup as group:
            inner = group.subgroup((MCPError, httpx2.HTTPError, OSError))
            if inner is None:
                raise
            raise _explain(url, token, refused, inner.exceptions[0]) from None
        yield client


def _explain(url: str, token: str | None, refused: list[httpx2.Response], exc: BaseException) -> ConnectFailed:
    if refused:
        response = refused[-1]
        challenge = dict(_CHALLENGE_PARAM.findall(response.headers.get("www-authenticate", "")))
        what = "refused the token" if token else "needs a token (pass --token)"
        reason = " ".join(v for k, v in challenge.items() if k in ("error", "error_description"))
        return ConnectFailed(f"{url} {what}: HTTP {response.status_code}" + (f" {reason}" if reason else ""))
    if isinstance(exc, httpx2.ConnectError | OSError):
        return ConnectFailed(f"cannot reach {url}: {exc}; is `cadencia serve ... --http` running there?")
    return ConnectFailed(f"{url} failed: {exc}")
