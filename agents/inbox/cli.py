"""`cadencia inbox`: serve the approvals inbox over HTTP for people with an `approve`-scoped token."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from mcp.server.auth.provider import TokenVerifier
from rich.console import Console

from cadencia.servers.auth import EitherVerifier, StaticTokenVerifier, parse_token_spec
from cadencia.servers.hosts import MIN_PUBLIC_TOKEN_CHARS, host_literal, http_security, is_loopback
from cadencia.servers.jwt_auth import JwtSettings, JwtTokenVerifier

if TYPE_CHECKING:
    from cadencia.tools.approvals import ApprovalStore
    from cadencia.tools.approvals.notify import NotifierThread

err = Console(stderr=True)


def _verifier(specs: list[str], jwt: JwtSettings | None, *, host: str) -> TokenVerifier:
    """The same verification as `cadencia serve`: static tokens (TOKEN:scopes), then JWTs from an issuer."""
    try:
        tokens = dict(parse_token_spec(s) for s in specs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--token") from None
    if not tokens and jwt is None:
        raise typer.BadParameter(
            "give --token TOKEN:approve (or $CADENCIA_TOKENS, or JWT options): nobody could log in otherwise",
            param_hint="--token",
        )
    if not is_loopback(host) and any(len(t) < MIN_PUBLIC_TOKEN_CHARS for t in tokens):
        raise typer.BadParameter(
            f"binding {host} (not loopback) needs tokens of at least {MIN_PUBLIC_TOKEN_CHARS} characters",
            param_hint="--token",
        )
    verifiers: list[TokenVerifier] = [StaticTokenVerifier(tokens)] if tokens else []
    verifiers += [JwtTokenVerifier(jwt)] if jwt else []
    return verifiers[0] if len(verifiers) == 1 else EitherVerifier(*verifiers)


def _notifier(policy: Path | None, approvals: ApprovalStore, base: str) -> NotifierThread | None:
    """The background sender of the policy's notifications, started; None when the policy asks for none."""
    if policy is None:
        return None
    from cadencia.tools.approvals.notify import Notifier, NotifierThread
    from cadencia.tools.policy.policy import PolicyError
    from cadencia.tools.policy.server import load_server_policy

    try:
        settings = load_server_policy(policy).notifications
    except PolicyError as exc:
        raise typer.BadParameter(str(exc), param_hint="--policy") from None
    if not settings.enabled:
        err.print(f"{policy} has no notifications: none will be sent")
        return None
    return NotifierThread(Notifier(approvals, settings, base_url=base)).start()


def inbox(
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8766,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Runs, approvals and audit log to serve. Default: $CADENCIA_WORKDIR or user data."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Approvals database (SQLite path or postgresql:// URL). Default: WORKDIR/approvals.db."),
    ] = None,
    token: Annotated[
        list[str] | None,
        typer.Option(help="Login token and scopes, TOKEN:approve (repeatable). Also $CADENCIA_TOKENS, ';'-separated."),
    ] = None,
    auth_issuer: Annotated[str | None, typer.Option(help="Accept JWTs from this OAuth issuer.")] = None,
    auth_audience: Annotated[str | None, typer.Option(help="The audience (`aud`) JWTs must name.")] = None,
    jwks_url: Annotated[str | None, typer.Option(help="The issuer's JWKS URL.")] = None,
    jwt_key: Annotated[Path | None, typer.Option(help="A PEM public key for JWTs.", dir_okay=False)] = None,
    public_url: Annotated[
        str | None,
        typer.Option(help="The URL people open when a proxy serves the inbox (https:// turns on Secure cookies)."),
    ] = None,
    allowed_host: Annotated[list[str] | None, typer.Option(help="Extra Host header values to accept.")] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Server policy YAML; its `notifications` (webhooks, email) are sent from here.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Serve the approvals inbox: pending, answered and expired approvals; approve, edit or reject with a note.

    People log in with a token holding the `approve` scope. Each approval has a stable address, /approvals/<id>,
    which notifications and URL-mode elicitation link to.

    Example: cadencia inbox --workdir ./lysa --port 8766 --token "$INBOX_TOKEN:approve"
    """
    import uvicorn

    from cadencia.agents.inbox.app import InboxConfig, inbox_app
    from cadencia.agents.workdir import Workdir
    from cadencia.servers.cli_options import jwt_settings
    from cadencia.tools.approvals import ApprovalStore

    specs = list(token or []) + [s for s in os.environ.get("CADENCIA_TOKENS", "").split(";") if s.strip()]
    verifier = _verifier(specs, jwt_settings(auth_issuer, auth_audience, jwks_url, jwt_key), host=host)
    where = Workdir.at(workdir)
    extra = list(allowed_host or [])
    if public_url:
        extra.append(urlsplit(public_url).netloc)
    security = http_security(host, port, extra)
    approvals = ApprovalStore.open(db or where.approvals)
    config = InboxConfig(
        workdir=where,
        approvals=approvals,
        verifier=verifier,
        allowed_hosts=list(security.allowed_hosts),
        allowed_origins=list(security.allowed_origins),
        secure_cookies=bool(public_url and public_url.startswith("https://")),
    )
    base = public_url or f"http://{host_literal(host)}:{port}"
    notifier = _notifier(policy, approvals, base)
    err.print(f"Cadencia inbox on {base}/ (log in with an approve-scoped token)")
    try:
        uvicorn.run(inbox_app(config), host=host, port=port, log_level="warning", access_log=False)
    finally:
        if notifier is not None:
            notifier.stop()
        approvals.close()
