"""Stdio that answers every line: one that is not a JSON-RPC message gets an error reply instead of silence.

The SDK's stdio transport hands a line it cannot parse (not JSON, invalid UTF-8, JSON nested deeper than its parser
allows, or JSON that is no JSON-RPC message) to the server as an exception, and the server drops it (mcp 2.3:
`JSONRPCDispatcher` logs it at debug level), so the client waits forever for its reply. Here such a line is answered
as JSON-RPC 2.0 says: -32700 parse error (or -32600 invalid request), id null. To report upstream: the dispatcher's
`on_stream_exception` is unset on the server side, so stdio parse errors get no reply.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError


def error_reply(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error for a line the transport could not turn into a message."""
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else []
    if errors and all(err["type"] != "json_invalid" for err in errors):
        return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=INVALID_REQUEST, message="Invalid Request"))
    detail = next((str(err.get("ctx", {}).get("error", "")) for err in errors), "") or type(exc).__name__
    return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message=f"Parse error: {detail}"))


class AnsweringReader:
    """The transport's read stream, minus the lines it could not parse: those are answered on the write stream."""

    def __init__(self, inner: Any, replies: Any) -> None:
        self.inner, self.replies = inner, replies

    def __getattr__(self, name: str) -> Any:  # e.g. `last_context`, read by the SDK's dispatcher
        return getattr(self.inner, name)

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item = await self.inner.receive()
            if not isinstance(item, Exception):
                return item
            await self.replies.send(SessionMessage(error_reply(item)))

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        while True:
            item = await self.inner.__anext__()
            if not isinstance(item, Exception):
                return item
            await self.replies.send(SessionMessage(error_reply(item)))

    async def __aenter__(self) -> Self:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return await self.inner.__aexit__(exc_type, exc, tb)


async def serve_stdio(server: MCPServer[Any]) -> None:
    """`server.run_stdio_async()`, with every unparseable line answered."""
    # The SDK's own in-process client reaches the low-level server the same way (a TODO there makes it public).
    lowlevel = server._lowlevel_server
    async with stdio_server() as (read_stream, write_stream):
        reader = AnsweringReader(read_stream, write_stream)
        await lowlevel.run(reader, write_stream, lowlevel.create_initialization_options())
