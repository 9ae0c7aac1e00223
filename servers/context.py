"""What a tool call can reach: the backends (from the server's lifespan) and the caller's scopes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import anyio.from_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context

from cadencia.tools import progress
from cadencia.tools.ads.backend import AdsBackend
from cadencia.tools.crm.backend import CrmBackend
from cadencia.tools.errors import PermissionDenied
from cadencia.tools.inventory.backend import InventoryBackend
from cadencia.tools.reviews.backend import ReviewsBackend

if TYPE_CHECKING:
    from cadencia.servers.safety.guard import ServerSafety

Scope = Literal["read", "write", "pii", "approve"]
ALL_SCOPES: frozenset[Scope] = frozenset({"read", "write", "pii", "approve"})


@dataclass(frozen=True)
class Backends:
    inventory: InventoryBackend
    ads: AdsBackend
    reviews: ReviewsBackend
    crm: CrmBackend


@dataclass(frozen=True)
class ServerContext:
    """Lifespan state of a server: its backends, the scopes granted when no token is presented (stdio), and the
    safety layer every call passes (None: no server policy, e.g. the graph's embedded in-process server)."""

    backends: Backends
    default_scopes: frozenset[Scope]
    safety: ServerSafety | None = None


def server_context(ctx: Context) -> ServerContext:
    return ctx.request_context.lifespan_context


def backends(ctx: Context) -> Backends:
    return server_context(ctx).backends


def granted_scopes(ctx: Context) -> frozenset[str]:
    """Scopes of the bearer token when one was presented (HTTP), else the server's defaults (stdio, loopback)."""
    return scopes_in(server_context(ctx))


def scopes_in(server: ServerContext) -> frozenset[str]:
    """The current request's scopes on a server: its bearer token's, else the server's defaults."""
    token = get_access_token()
    if token is not None:
        return frozenset(token.scopes)
    return frozenset(server.default_scopes)


def caller_subject(ctx: Context) -> str | None:
    """Who is calling: the bearer token's subject (JWT `sub`, or `static:token-N`), None without a token (stdio)."""
    del ctx  # the token travels in the request's context, not in the MCP one; kept for a uniform call shape
    token = get_access_token()
    return token.subject if token is not None else None


def has_scope(ctx: Context, scope: Scope) -> bool:
    return scope in granted_scopes(ctx)


def require_scope(ctx: Context, scope: Scope) -> None:
    if not has_scope(ctx, scope):
        raise PermissionDenied(
            f"this tool needs the {scope!r} scope and the caller's token does not grant it; "
            "ask the operator for a token with that scope",
            rule="scope",
        )


@contextmanager
def progress_to(ctx: Context) -> Iterator[None]:
    """Progress the backend reports during this block reaches the client as `notifications/progress`.

    The SDK sends them only when the client asked (a progress token on the request); the backend reports from the
    worker thread its SQL runs on, so each report is handed to the event loop.
    """

    def send(done: float, total: float | None, message: str | None) -> None:
        anyio.from_thread.run(ctx.report_progress, done, total, message)

    with progress.reporting_to(send):
        yield
