"""Serve a fake vendor's `handle(httpx.Request)` over real HTTP on 127.0.0.1 (uvicorn in a thread)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

Handler = Callable[[httpx.Request], httpx.Response]


def asgi_app(handle: Handler) -> Callable[..., Any]:
    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
        query = scope.get("query_string", b"").decode()
        url = f"http://127.0.0.1{scope['path']}" + (f"?{query}" if query else "")
        response = handle(httpx.Request(scope["method"], url, headers=headers, content=body))
        content = response.read()
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": content})

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(handle: Handler) -> Iterator[str]:
    """Yields the base URL of a local server answering with `handle`; stops it on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi_app(handle), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("fake vendor server did not start")
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
