"""Asking the caller's person through MCP before a proxied call that needs one, with the servers' own form
(`servers.safety.asking`): MRTR on 2026-07-28, elicitation on 2025-11-25; clients that cannot be asked keep the
fallback error. The resolver reads the call's raw arguments (a proxied tool's schema is the upstream's).

No `from __future__ import annotations` here: the SDK evaluates the placeholder's annotations, which name a
resolver local to `person_placeholder`.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.types import InputRequiredResult

from cadencia.servers.context import has_scope, server_context
from cadencia.servers.safety.asking import PERSON_ARG, ApprovalForm, client_can_be_asked, form_message
from cadencia.servers.safety.call import APPROVAL_ARG, ToolCall
from cadencia.servers.safety.guard import PolicyView
from cadencia.tools.errors import CadenciaError

RAW_ARG = "arguments"
"""The placeholder parameter the resolver reads the call's arguments from."""

Ask = Callable[[Context, dict[str, Any]], Awaitable[tuple[ToolCall, PolicyView] | None]]
"""Builds the call and its policy view from raw arguments (None: this call is never asked about)."""


def person_placeholder(build: Ask) -> Callable[..., None]:
    """A function whose `person` parameter is filled by a resolver asking the person when the policy wants one."""

    async def ask_person(ctx: Context, arguments: dict[str, Any] | None = None) -> Elicit[ApprovalForm] | None:
        safety = server_context(ctx).safety
        raw = dict(arguments or {})
        if safety is None or raw.get(APPROVAL_ARG) or not has_scope(ctx, "write"):
            return None
        if not safety.policy.autonomy.ask_in_client or not client_can_be_asked(ctx):
            return None
        try:
            built = await build(ctx, raw)
            ticket = None if built is None else await safety.needs_person(built[0], None, view=built[1])
        except CadenciaError:
            return None  # refused for another reason: the call itself says which
        return None if ticket is None else Elicit(form_message(ticket), ApprovalForm)

    def placeholder(
        ctx: Context,
        arguments: dict[str, Any] | None = None,
        person: Annotated[ElicitationResult[ApprovalForm], Resolve(ask_person)] = None,  # type: ignore[assignment]
    ) -> None:
        """Stands in for a forwarded tool's function (the upstream validates the arguments)."""

    return placeholder


async def resolved_person(tool: Any, arguments: dict[str, Any], context: Context) -> Any:
    """The person's answer (or None), or the SDK's input-required result to send back first."""
    from mcp.server.mcpserver.resolve import resolve_arguments

    if not tool.resolved_params:
        return None
    resolved = await resolve_arguments(tool.resolved_params, tool.resolver_plans, {RAW_ARG: arguments}, context)
    if isinstance(resolved, InputRequiredResult):
        return resolved
    return resolved.get(PERSON_ARG)
