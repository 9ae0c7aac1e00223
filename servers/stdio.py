"""Stdio that answers every line: one that is not a JSON-RPC message gets an error reply instead of silence.

The SDK's stdio transport hands a line it cannot parse (not JSON, invalid UTF-8, JSON nested deeper than its parser
allows, or JSON that is no JSON-RPC message) to the server as an exception, and the server drops it (mcp 2.3:
`JSONRPCDispatcher` logs it at debug level), so the client waits forever for its reply. Here such a line is answered
as JSON-RPC 2.0 says: -32700 parse error (or -32600 invalid request), id null. To report upstream: the dispatcher's
`on_stream_exception` is unset on the server side, so stdio parse errors get no reply.

When the client closes our input, the SDK cancels every request still running (it takes EOF for a caller that is
gone); a client that writes its requests and closes stdin (`printf … | cadencia serve`) would get no answers. Here
EOF is passed on only once every request read has been answered, or after `DRAIN_S`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError, JSONRPCRequest, JSONRPCResponse
from pydantic import ValidationError

DRAIN_S = 10.0
"""How long requests still running when the input closes may take to answer before the server stops."""


def error_reply(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error for a line the transport could not turn into a message."""
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else []
    if errors and all(err["type"] != "json_invalid" for err in errors):
        return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=INVALID_REQUEST, message="Invalid Request"))
    detail = next((str(err.get("ctx", {}).get("error", "")) for err in errors), "") or type(exc).__name__
    return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message=f"Parse error: {detail}"))


class AnsweringWriter:
    """The transport's write stream, noting which requests have been answered."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.unanswered: set[str | int] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def send(self, item: SessionMessage) -> None:
        await self.inner.send(item)
        if isinstance(item.message, JSONRPCResponse | JSONRPCError) and item.message.id is not None:
            self.unanswered.discard(item.message.id)

    async def drain(self, seconds: float = DRAIN_S) -> None:
        """Wait until every request read so far has its answer written (at most `seconds`)."""
        with anyio.move_on_after(seconds):
            while self.unanswered:
                await anyio.sleep(0.01)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self) -> Self:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return await self.inner.__aexit__(exc_type, exc, tb)


class AnsweringReader:
    """The transport's read stream, minus the lines it could not parse (answered on the write stream), whose end
    waits for the answers to the requests it passed on."""

    def __init__(self, inner: Any, replies: AnsweringWriter) -> None:
        self.inner, self.replies = inner, replies

    def __getattr__(self, name: str) -> Any:  # e.g. `last_context`, read by the SDK's dispatcher
        return getattr(self.inner, name)

    def _passed_on(self, item: SessionMessage) -> SessionMessage:
        if isinstance(item.message, JSONRPCRequest):
            self.replies.unanswered.add(item.message.id)
        return item

    async def receive(self) -> SessionMessage | Exception:
        while True:
            try:
                item = await self.inner.receive()
            except anyio.EndOfStream:
                await self.replies.drain()
                raise
            if not isinstance(item, Exception):
                return self._passed_on(item)
            await self.replies.send(SessionMessage(error_reply(item)))

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:  # as anyio's own streams do: iteration ends where receiving does
            raise StopAsyncIteration from None

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
        writer = AnsweringWriter(write_stream)
        await lowlevel.run(AnsweringReader(read_stream, writer), writer, lowlevel.create_initialization_options())
