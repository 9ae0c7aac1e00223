"""Tool errors written for the model: field and rule named, no tracebacks, and never the SDK's wrapper prefix.

Two pieces, both on public SDK surfaces: `guarded` wraps every tool function (our exceptions become `ToolError`
with their own text; anything else is logged and reported as an internal error), and `ToolErrorMiddleware`
(an `MCPServer(middleware=...)` entry) rewrites `isError` results of `tools/call` (the wire dict the SDK hands
middleware): argument validation failures become one line per bad field, and the SDK's `Error executing tool NAME: `
prefix is dropped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from cadencia.tools.errors import CadenciaError

log = logging.getLogger("cadencia.servers")
R = TypeVar("R")

# The SDK's own wording for a failed tool (mcp.server.mcpserver.tools.base.Tool.run); pinned by a test.
SDK_PREFIX = "Error executing tool {name}: "


def format_validation_error(tool: str, exc: ValidationError) -> str:
    """One line per bad argument: field, rule, and what was given; nothing was changed."""
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        given = repr(err.get("input"))
        given = given if len(given) <= 60 else given[:57] + "..."
        problems.append(f"{where}: {err['msg']} (got {given})")
    return f"[invalid_argument] {tool}: " + "; ".join(problems) + ". Fix the argument and call again; nothing changed."


def internal_error(name: str) -> str:
    return f"[internal] {name} failed unexpectedly; nothing was changed. This is a bug."


def guarded(name: str, fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
    """`fn` whose deliberate failures reach the caller as their own text, and whose crashes as a bug report."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> R:
        try:
            return await fn(*args, **kwargs)
        except (ToolError, MCPError):
            raise
        except CadenciaError as exc:
            raise ToolError(str(exc)) from None
        except ValidationError as exc:
            raise ToolError(format_validation_error(name, exc)) from None
        except Exception:
            log.exception("tool %s failed unexpectedly", name)
            raise ToolError(internal_error(name)) from None

    return wrapper


class ToolErrorMiddleware:
    """Rewrites failed `tools/call` results: field-level argument errors, and no SDK prefix on our own messages."""

    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = tools

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/call" or not isinstance(result, dict) or result.get("isError") is not True:
            return result
        params = ctx.params or {}
        name = str(params.get("name", ""))
        arguments = params.get("arguments") or {}
        blocks = result.get("content") or []
        text = "\n".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        tool = self.tools.get(name)
        if tool is not None and isinstance(arguments, dict):
            try:
                tool.fn_metadata.validate_arguments(arguments)
            except ValidationError as exc:
                text = format_validation_error(name, exc)
        prefix = SDK_PREFIX.format(name=name)
        if text == prefix.rstrip(": "):
            text = internal_error(name)
        return result | {"content": [{"type": "text", "text": text.removeprefix(prefix)}]}
