"""`cadencia proxy`: guard an upstream MCP server (a command or a URL) with the server policy, approvals, budgets,
undo and audit, served over stdio or streamable HTTP with the same auth as `cadencia serve`."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

from cadencia.servers import cli_options
from cadencia.servers.auth import parse_token_spec
from cadencia.servers.context import Scope
from cadencia.servers.hosts import MIN_PUBLIC_TOKEN_CHARS, is_loopback
from cadencia.servers.paths import default_workdir
from cadencia.servers.proxy.journal import UndoJournal
from cadencia.servers.proxy.overlay import Overlay, OverlayError, load_overlay
from cadencia.servers.proxy.server import build_proxy, check_fit
from cadencia.servers.proxy.upstream import UpstreamError, UpstreamSpec, connect
from cadencia.servers.stdio import serve_stdio
from cadencia.servers.transport import serve_http
from cadencia.tools.errors import CadenciaError

err = Console(stderr=True)


def proxy(
    overlay: Annotated[Path, typer.Option(help="Overlay YAML: what the upstream's tools do (overlays/*.yaml).")],
    upstream: Annotated[
        str | None, typer.Option(help="Command that starts the upstream MCP server over stdio, quoted.")
    ] = None,
    upstream_url: Annotated[str | None, typer.Option(help="The upstream's streamable-HTTP URL instead.")] = None,
    upstream_token_env: Annotated[
        str | None,
        typer.Option(help="Environment variable holding the upstream's bearer token (never logged, never echoed)."),
    ] = None,
    policy: Annotated[
        str,
        typer.Option(help="Server policy: 'default' (shipped), a YAML file, or 'off' (forward without checks)."),
    ] = "default",
    workdir: Annotated[
        Path | None,
        typer.Option(help="Where approvals, budgets, undo journal and audit live. Default: $CADENCIA_WORKDIR."),
    ] = None,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    token: Annotated[
        list[str] | None,
        typer.Option(help="Bearer token and scopes for the proxy's callers, TOKEN:read,write (repeatable)."),
    ] = None,
    allowed_host: Annotated[
        list[str] | None, typer.Option(help="Host header values to accept when binding beyond loopback.")
    ] = None,
    auth_issuer: Annotated[str | None, typer.Option(help="Accept JWT access tokens from this OAuth issuer.")] = None,
    auth_audience: Annotated[str | None, typer.Option(help="The audience (`aud`) JWTs must name.")] = None,
    jwks_url: Annotated[str | None, typer.Option(help="The issuer's JWKS URL (signing keys).")] = None,
    jwt_key: Annotated[Path | None, typer.Option(help="A PEM public key to verify JWTs with.", dir_okay=False)] = None,
    log_level: Annotated[str, typer.Option(help="Server log level (stderr).")] = "WARNING",
) -> None:
    """Guard any MCP server: list its tools prefixed (overlay `prefix`, default `up_`), and hold every call to the
    server policy, approvals, daily budgets, freeze and the audit log; tools with an undo recipe can be undone.

    Example: cadencia proxy --upstream "cadencia serve all --policy off" --overlay overlays/cadencia.yaml
    """
    if (upstream is None) == (upstream_url is None):
        raise typer.BadParameter("give exactly one of --upstream and --upstream-url", param_hint="--upstream")
    if upstream_token_env is not None and upstream_url is None:
        raise typer.BadParameter("--upstream-token-env goes with --upstream-url", param_hint="--upstream-token-env")
    specs = list(token or []) + [s for s in os.environ.get("CADENCIA_TOKENS", "").split(";") if s.strip()]
    try:
        tokens = dict(parse_token_spec(s) for s in specs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--token") from None
    jwt = cli_options.jwt_settings(auth_issuer, auth_audience, jwks_url, jwt_key)
    if http and not is_loopback(host) and (not (tokens or jwt) or any(len(t) < MIN_PUBLIC_TOKEN_CHARS for t in tokens)):
        raise typer.BadParameter(
            f"binding {host} (not loopback) requires --token of at least {MIN_PUBLIC_TOKEN_CHARS} characters",
            param_hint="--token",
        )
    try:
        loaded = load_overlay(overlay)
    except OverlayError as exc:
        raise typer.BadParameter(str(exc), param_hint="--overlay") from None
    server_policy = cli_options.server_policy(policy)
    spec = UpstreamSpec(command=upstream, url=upstream_url, token_env=upstream_token_env)
    root = workdir or default_workdir()
    try:
        anyio.run(
            _serve,
            spec,
            loaded,
            server_policy,
            root,
            dict(http=http, host=host, port=port, tokens=tokens or None, allowed_hosts=allowed_host, jwt=jwt),
            log_level,
        )
    except (OverlayError, CadenciaError) as exc:
        err.print(f"cadencia proxy: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None


async def _serve(
    spec: UpstreamSpec, overlay: Overlay, server_policy: object, root: Path, options: dict[str, object], level: str
) -> None:
    from cadencia.servers.app import full_registry
    from cadencia.servers.safety.setup import approvals_url, open_safety
    from cadencia.tools.policy.server import ServerPolicy

    root.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        safety = None
        if isinstance(server_policy, ServerPolicy):
            safety = stack.enter_context(open_safety(server_policy, root=root, registry=full_registry()))
        journal = UndoJournal.open(approvals_url(root))
        stack.callback(journal.close)
        async with connect(spec) as upstream:
            tools = await upstream.tools()
            check_fit(overlay, tools)
            http = bool(options.pop("http"))
            scopes: frozenset[Scope] = frozenset({"read", "write"})
            server = build_proxy(
                upstream,
                tools,
                overlay,
                safety=safety,
                journal=journal,
                default_scopes=scopes,
                log_level=level.upper(),
                **options,  # type: ignore[arg-type]
            )
            if http:
                await serve_http(server, log_level=level)
            else:
                await serve_stdio(server)


__all__ = ["UpstreamError", "proxy"]
