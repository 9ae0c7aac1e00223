"""The one place the MCP SDK meets the safety layer: wrap each registered tool so its call passes `ServerSafety`.

Mutating tools gain an optional `approval_id` argument (the fallback path of an approval) and keep needing the
`write` scope; the caller's subject is the bearer token's client id, or `local` for stdio and loopback callers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from pydantic import Field
from pydantic_core import to_jsonable_python

from cadencia.servers.context import backends, require_scope, server_context
from cadencia.servers.safety.asking import PERSON_ARG, form_outcome, person_parameter
from cadencia.servers.safety.call import APPROVAL_ARG, ToolCall
from cadencia.tools.reversibility import Reversibility

LOCAL_SUBJECT = "local"
ApprovalId = Annotated[str | None, Field(default=None, max_length=200)]
"""Only after the server answered 'approval required: ID' and a person approved: that ID (the server instructions
say so once, instead of a description repeated on every mutating tool)."""


def caller_subject() -> str:
    """Who is calling: the bearer token's client id, or `local` when no token was presented (stdio, loopback)."""
    token = get_access_token()
    return token.client_id if token is not None else LOCAL_SUBJECT


def behind_safety(
    fn: Callable[..., Awaitable[Any]], *, tool: str, reversibility: Reversibility
) -> Callable[..., Awaitable[Any]]:
    """`fn` behind the scope check and the server's safety layer (when the server has one)."""

    @functools.wraps(fn)
    async def call(*args: Any, approval_id: str | None = None, person: object = None, **kwargs: Any) -> Any:
        ctx: Context = kwargs["ctx"]
        if reversibility.mutates:
            require_scope(ctx, "write")
        safety = server_context(ctx).safety
        if safety is None:
            return await fn(*args, **kwargs)
        arguments = to_jsonable_python({k: v for k, v in kwargs.items() if k != "ctx"})
        request = ToolCall(
            tool=tool,
            reversibility=reversibility,
            args=arguments,
            subject=caller_subject(),
            approval_id=approval_id,
            defaults=defaults,
        )
        answered = form_outcome(person)
        if answered is not None:
            outcome, note = answered
            request = await safety.answer_in_form(request, backends(ctx), outcome=outcome, note=note)
        return await safety.call(request, backends(ctx), lambda: fn(*args, **kwargs))

    signature = inspect.signature(fn, eval_str=True)
    defaults = {
        name: to_jsonable_python(p.default)
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty and name != "ctx"
    }
    if reversibility.mutates:
        extra = inspect.Parameter(APPROVAL_ARG, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ApprovalId)
        names = [name for name in signature.parameters if name != "ctx"] + [APPROVAL_ARG]
        asking, annotation = person_parameter(
            tool=tool, reversibility=reversibility, arg_names=names, defaults=defaults, subject=caller_subject
        )
        signature = signature.replace(parameters=[*signature.parameters.values(), extra, asking])
        call.__annotations__ = {**fn.__annotations__, APPROVAL_ARG: ApprovalId, PERSON_ARG: annotation}
    call.__signature__ = signature  # type: ignore[attr-defined]
    return call
