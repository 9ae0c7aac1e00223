"""The guarding MCP server: the upstream's tools under the overlay's prefix, each call through the server policy,
approvals, daily budgets, freeze and audit, plus `undo` for calls whose tool has an undo recipe."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from jsonschema import Draft202012Validator
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from mcp.types import Tool as UpstreamTool
from pydantic import Field, JsonValue

from cadencia import __version__
from cadencia.servers.app import CadenciaMCP, HttpSettings, auth_options, full_registry
from cadencia.servers.context import Scope, require_scope, server_context
from cadencia.servers.errors import ToolErrorMiddleware, guarded
from cadencia.servers.jwt_auth import JwtSettings
from cadencia.servers.listing import ScopedListing
from cadencia.servers.proxy.asking import person_placeholder, resolved_person
from cadencia.servers.proxy.journal import UndoJournal
from cadencia.servers.proxy.overlay import Overlay, OverlayError, ToolOverlay
from cadencia.servers.proxy.policy_view import UpstreamFacts, policy_view
from cadencia.servers.proxy.undoing import (
    UNDO_TOOL,
    Forwarded,
    UndoResult,
    UpstreamRefused,
    call_with_undo,
    replay_inverse,
)
from cadencia.servers.proxy.undoing import undo_entry as open_undo_entry
from cadencia.servers.proxy.upstream import Upstream
from cadencia.servers.safety.asking import form_outcome, request_state_security
from cadencia.servers.safety.call import APPROVAL_ARG, ToolCall
from cadencia.servers.safety.guard import PolicyView, ServerSafety
from cadencia.servers.safety.hook import caller_subject
from cadencia.tools import untrusted
from cadencia.tools.errors import CadenciaError, InvalidArgument
from cadencia.tools.reversibility import META_KEY, Reversibility

UPSTREAM_META_KEY = "cadencia/upstream"
OWN_TOOLS = frozenset({UNDO_TOOL, "approvals_list_pending", "approvals_answer"})
"""The proxy's own tools: an upstream tool listed under one of these names would be hidden."""


@dataclass(frozen=True)
class ProxyContext:
    """Lifespan state of the proxy (the same object for every request: the upstream is connected once)."""

    upstream: Upstream
    overlay: Overlay
    safety: ServerSafety | None
    journal: UndoJournal | None
    default_scopes: frozenset[Scope]
    registry: Mapping[str, Reversibility]


def proxy_context(ctx: Context) -> ProxyContext:
    state = server_context(ctx)
    assert isinstance(state, ProxyContext)
    return state


class ForwardedTool(Tool):
    """An upstream tool as the proxy lists it: the upstream's input schema; calls go through `forward`."""

    upstream_name: str
    entry: ToolOverlay | None
    reversibility: Reversibility
    defaults: dict[str, JsonValue]
    strips_approval: bool
    upstream_schema: dict[str, Any]

    @cached_property
    def validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.upstream_schema)

    async def run(self, arguments: dict[str, Any], context: Context, convert_result: bool = False) -> Any:
        try:
            person = await resolved_person(self, dict(arguments), context) if self.reversibility.mutates else None
            if isinstance(person, InputRequiredResult):
                return person
            return await forward(self, dict(arguments), context, person)
        except UpstreamRefused as refused:
            return refused.result.model_copy(update={"content": [TextContent(type="text", text=refused.message)]})
        except CadenciaError as exc:
            raise ToolError(proxy_context(context).upstream.scrub(str(exc))) from None


def proxied_call(tool: ForwardedTool, args: dict[str, Any], ctx: Context) -> tuple[ToolCall, PolicyView]:
    """The call as the safety layer sees it, and its policy view (upstream approval_id left in, ours taken out)."""
    state = proxy_context(ctx)
    approval_id = args.pop(APPROVAL_ARG, None) if tool.strips_approval else args.get(APPROVAL_ARG)
    refuse_invalid(tool, args)
    call = ToolCall(
        tool=tool.name,
        reversibility=tool.reversibility,
        args=args,
        subject=caller_subject(),
        approval_id=approval_id if isinstance(approval_id, str) else None,
        defaults=tool.defaults,
    )
    ref = f"{tool.name}-{secrets.token_hex(4)}"
    return call, policy_view(ref, tool.entry, args, state.upstream, state.overlay.facts, state.registry)


async def forward(tool: ForwardedTool, args: dict[str, Any], ctx: Context, person: object = None) -> CallToolResult:
    """Scope check, then the server policy (when the proxy has one; a person's answer from the client's form
    approves or refuses first), then the upstream (with undo capture)."""
    state = proxy_context(ctx)
    call, view = proxied_call(tool, args, ctx)
    if tool.reversibility.mutates:
        require_scope(ctx, "write")
    subject = call.subject
    upstream, entry = state.upstream, tool.entry

    async def execute() -> Forwarded:
        if entry is not None and entry.undo is not None and state.journal is not None:
            return await call_with_undo(
                upstream, state.journal, entry.undo, name=tool.upstream_name, args=args, subject=subject
            )
        result = await upstream.call(tool.upstream_name, args)
        if result.is_error:
            raise UpstreamRefused(result, upstream.scrub(text_of_result(result)))
        return Forwarded(result)

    if state.safety is None:
        return (await execute()).result
    answered = form_outcome(person)
    if answered is not None:
        outcome, note = answered
        call = await state.safety.answer_in_form(call, None, outcome=outcome, note=note, view=view)
    return (await state.safety.call(call, None, execute, view=view)).result


def refuse_invalid(tool: ForwardedTool, args: dict[str, Any]) -> None:
    """Arguments the upstream's input schema rejects never reach the policy or the upstream (field and rule named)."""
    error = next(iter(sorted(tool.validator.iter_errors(args), key=lambda e: list(e.absolute_path))), None)
    if error is None:
        return
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        path += [str(n) for n in error.validator_value if n not in error.instance][:1]
    where = ".".join(path) or "arguments"
    raise InvalidArgument(
        f"{tool.name}: {where}: {error.message}; fix the argument and call again, nothing changed",
        field=where,
        rule=f"schema.{error.validator}",
    )


def text_of_result(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent)) or "the upstream refused the call"


def annotations(reversibility: Reversibility, title: str | None) -> ToolAnnotations:
    """Hints from the overlay's class (the upstream's own hints are not trusted): unnamed tools are irreversible."""
    read = reversibility is Reversibility.READ
    return ToolAnnotations(
        title=title,
        readOnlyHint=read,
        destructiveHint=not read,
        idempotentHint=read,
        openWorldHint=True,
    )


def forwarded(upstream_tool: UpstreamTool, overlay: Overlay, *, approvals: bool) -> ForwardedTool:
    """The proxy's listing of one upstream tool: prefixed name, the upstream's schema (plus approval_id)."""
    entry = overlay.entry(upstream_tool.name)
    reversibility = entry.reversibility if entry is not None else Reversibility.IRREVERSIBLE
    original = dict(upstream_tool.input_schema)
    schema = dict(original)
    properties = dict(schema.get("properties") or {})
    strips = approvals and reversibility.mutates and APPROVAL_ARG not in properties
    if strips:
        properties[APPROVAL_ARG] = {
            "type": "string",
            "maxLength": 200,
            "description": "Only after a refusal 'approval required: ID' that a person approved: that ID.",
        }
        schema["properties"] = properties
    defaults = {k: v["default"] for k, v in properties.items() if isinstance(v, dict) and "default" in v}
    named = "unnamed in the overlay: treated as irreversible, needs approval" if entry is None else reversibility.value
    description = (upstream_tool.description or "").strip() + f"\n\n[proxied by Cadencia; {named}]"
    meta: dict[str, Any] = {META_KEY: reversibility.value, UPSTREAM_META_KEY: upstream_tool.name}
    if entry is not None and entry.untrusted is not None:
        meta[untrusted.META_KEY] = list(entry.untrusted)
    name = overlay.prefix + upstream_tool.name

    built: list[ForwardedTool] = []  # the tool this placeholder stands in for, once made

    async def build(ctx: Context, raw: dict[str, Any]) -> tuple[ToolCall, PolicyView] | None:
        return proxied_call(built[0], raw, ctx) if built else None

    base = Tool.from_function(person_placeholder(build), name=name, structured_output=False)
    tool = ForwardedTool(
        **{
            k: getattr(base, k)
            for k in ("fn", "fn_metadata", "is_async", "context_kwarg", "resolved_params", "resolver_plans")
        },
        name=overlay.prefix + upstream_tool.name,
        title=upstream_tool.title,
        description=description.strip(),
        parameters=schema,
        annotations=annotations(reversibility, upstream_tool.title),
        meta=meta,
        upstream_name=upstream_tool.name,
        entry=entry,
        reversibility=reversibility,
        defaults=defaults,
        strips_approval=strips,
        upstream_schema=original,
    )
    built.append(tool)
    return tool


async def undo(
    ctx: Context,
    undo_token: Annotated[str, Field(min_length=1, max_length=100, description="The undo_token a call returned.")],
) -> UndoResult:
    """Undo a proxied call that returned an undo_token: refused, with nothing written, when the upstream changed
    since the call; the result says whether the read-back equals the before-image."""
    require_scope(ctx, "write")
    state = proxy_context(ctx)
    if state.journal is None:
        raise CadenciaError("this proxy keeps no undo journal (started without a workdir)")
    subject = caller_subject()
    entry = open_undo_entry(state.journal, undo_token, subject)
    journal, upstream = state.journal, state.upstream

    async def execute() -> UndoResult:
        return await replay_inverse(upstream, journal, entry)

    if state.safety is None:
        return await execute()
    call = ToolCall(
        tool=UNDO_TOOL, reversibility=Reversibility.REVERSIBLE, args={"undo_token": undo_token}, subject=subject
    )
    view = PolicyView(facts=UpstreamFacts(upstream, state.overlay.facts), tools={UNDO_TOOL: Reversibility.REVERSIBLE})
    return await state.safety.call(call, None, execute, view=view)


def check_fit(overlay: Overlay, upstream_tools: list[UpstreamTool]) -> None:
    """An overlay that names a tool the upstream lacks is an error at start (a renamed tool would go unguarded)."""
    problems = overlay.misfits((t.name for t in upstream_tools), full_registry())
    clash = [t.name for t in upstream_tools if overlay.prefix + t.name in OWN_TOOLS]
    problems += [f"upstream tool {n!r} would clash with the proxy's own tool of that name; set a prefix" for n in clash]
    if problems:
        raise OverlayError(f"overlay {overlay.name!r} does not fit the upstream: " + "; ".join(problems))


def build_proxy(
    upstream: Upstream,
    upstream_tools: list[UpstreamTool],
    overlay: Overlay,
    *,
    safety: ServerSafety | None,
    journal: UndoJournal | None,
    default_scopes: frozenset[Scope] = frozenset({"read", "write"}),
    host: str = "127.0.0.1",
    port: int = 8000,
    json_response: bool = True,
    stateless_http: bool = True,
    tokens: dict[str, frozenset[Scope]] | None = None,
    public_url: str | None = None,
    allowed_hosts: list[str] | None = None,
    jwt: JwtSettings | None = None,
    log_level: str = "WARNING",
) -> CadenciaMCP:
    """The proxy server over a connected upstream (check the overlay fits first: `check_fit`)."""
    tools: list[Tool] = [forwarded(t, overlay, approvals=safety is not None) for t in upstream_tools]
    registry = dict(full_registry())
    registry |= {t.name: t.reversibility for t in tools if isinstance(t, ForwardedTool) and t.entry is not None}
    own: list[Tool] = []
    if journal is not None:
        own.append(
            Tool.from_function(
                guarded(UNDO_TOOL, undo),
                name=UNDO_TOOL,
                title="Undo a proxied call",
                annotations=ToolAnnotations(title="Undo a proxied call", readOnlyHint=False, destructiveHint=True),
                meta={META_KEY: Reversibility.REVERSIBLE.value},
                structured_output=True,
            )
        )
    needs: dict[str, str] = {}
    if safety is not None:
        from cadencia.servers.safety.inbox_tools import inbox_tools

        inbox = inbox_tools()
        own += inbox
        needs = {t.name: "approve" for t in inbox}
    state = ProxyContext(
        upstream=upstream,
        overlay=overlay,
        safety=safety,
        journal=journal,
        default_scopes=default_scopes,
        registry=registry,
    )

    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[ProxyContext]:
        yield state

    auth_kwargs, resource_url = auth_options(tokens=tokens, jwt=jwt, host=host, port=port, public_url=public_url)
    instructions = (
        f"Cadencia guarding {overlay.name}: the upstream's tools are listed as {overlay.prefix or ''}<name>. "
        "Mutating calls pass a server policy; a call refused with 'approval required: ID' runs once a person "
        "approved it: call again with approval_id=ID. Calls that return an undo_token can be undone with undo."
    )
    return CadenciaMCP(
        name=f"cadencia-proxy-{overlay.name}",
        version=__version__,
        instructions=instructions,
        lifespan=lifespan,
        tools=[*tools, *own],
        middleware=[ToolErrorMiddleware({t.name: t for t in own}), ScopedListing(needs)],
        log_level=log_level,  # type: ignore[arg-type]
        request_state_security=request_state_security(),  # replicas share CADENCIA_REQUEST_STATE_KEYS, as serve's
        registry=registry,
        http=HttpSettings.of(
            host=host,
            port=port,
            json_response=json_response,
            stateless=stateless_http,
            allowed_hosts=allowed_hosts,
            resource_url=resource_url,
            jwt=jwt,
        ),
        **auth_kwargs,
    )
