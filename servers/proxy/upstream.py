"""The upstream MCP server: started as a subprocess (stdio), reached over streamable HTTP (a bearer token read
from an environment variable), or in this process (tests). Its token never appears in a log or an error text."""

from __future__ import annotations

import json
import logging
import os
import shlex
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent, Tool
from pydantic import JsonValue

from cadencia.tools.errors import CadenciaError, VendorError, VendorUnavailable

log = logging.getLogger("cadencia.servers.proxy")
REDACTED = "[upstream token]"


class UpstreamError(VendorError):
    """The upstream server answered a read the proxy needed with an error, or could not be reached."""

    code = "upstream_error"


@dataclass(frozen=True)
class UpstreamSpec:
    """Where the upstream is: exactly one of a command, a URL, or (tests) a server object."""

    command: str | None = None
    url: str | None = None
    token_env: str | None = None
    server: MCPServer[Any] | None = None

    def describe(self) -> str:
        return self.url or self.command or "in-process server"

    def token(self) -> str | None:
        """The bearer token from `token_env`; a named variable that is unset or empty is an error."""
        if self.token_env is None:
            return None
        value = os.environ.get(self.token_env, "")
        if not value:
            raise VendorUnavailable(f"${self.token_env} is unset or empty: it must hold the upstream's token")
        return value


class Upstream:
    """A connected upstream client; `scrub` removes its token from any text before it leaves the proxy."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self._token = token

    def scrub(self, text: str) -> str:
        return text.replace(self._token, REDACTED) if self._token else text

    async def tools(self) -> list[Tool]:
        listed = await self.client.list_tools()
        tools = list(listed.tools)
        while listed.next_cursor:
            listed = await self.client.list_tools(cursor=listed.next_cursor)
            tools += listed.tools
        return tools

    async def call(self, tool: str, args: dict[str, JsonValue]) -> CallToolResult:
        """The upstream's answer as it is (an error result passes through); a failed exchange is `UpstreamError`."""
        try:
            return await self.client.call_tool(tool, args)
        except (MCPError, httpx2.HTTPError, OSError) as exc:
            raise UpstreamError(self.scrub(f"upstream call {tool} failed: {exc}")) from None

    async def read(self, tool: str, args: dict[str, JsonValue]) -> JsonValue:
        """A read's result as JSON (structured content, else the text parsed); its error is an `UpstreamError`."""
        result = await self.call(tool, args)
        if result.is_error:
            raise UpstreamError(self.scrub(f"upstream read {tool} failed: {text_of(result)[:300]}"))
        return result_json(result)


def text_of(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def result_json(result: CallToolResult) -> JsonValue:
    """Structured content when given, else the first text block as JSON, else the text itself."""
    if result.structured_content is not None:
        return result.structured_content  # type: ignore[no-any-return]
    text = text_of(result)
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except ValueError:
        return text


@asynccontextmanager
async def connect(spec: UpstreamSpec) -> AsyncIterator[Upstream]:
    """A connected upstream for the proxy's lifetime; a refused or dead upstream is a clear `UpstreamError`."""
    token = spec.token()
    async with AsyncExitStack() as stack:
        try:
            if spec.server is not None:
                client = Client(spec.server, mode="auto", cache=None)
            elif spec.command is not None:
                argv = shlex.split(spec.command)
                if not argv:
                    raise UpstreamError("--upstream is empty: give the command that starts the upstream server")
                params = StdioServerParameters(command=argv[0], args=argv[1:], env=dict(os.environ))
                client = Client(params, mode="auto", cache=None)
            else:
                assert spec.url is not None
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                http = await stack.enter_async_context(
                    httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60, read=300))
                )
                client = Client(streamable_http_client(spec.url, http_client=http), mode="auto", cache=None)
            entered = await stack.enter_async_context(client)
        except CadenciaError:
            raise
        except (MCPError, httpx2.HTTPError, OSError) as exc:
            raise UpstreamError(_scrubbed(f"cannot connect to upstream {spec.describe()}: {exc}", token)) from None
        except BaseExceptionGroup as group:
            inner = group.subgroup((MCPError, httpx2.HTTPError, OSError))
            if inner is None:
                raise
            first = _leaf(inner)
            raise UpstreamError(_scrubbed(f"cannot connect to upstream {spec.describe()}: {first}", token)) from None
        yield Upstream(entered, token)


def _leaf(exc: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def _scrubbed(text: str, token: str | None) -> str:
    return text.replace(token, REDACTED) if token else text
