"""`cadencia serve` and `cadencia seed`: run an MCP server on the sandbox, or (re)create the sandbox database."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cadencia.servers import cli_options
from cadencia.servers.app import TOOLSETS, Capability, build_server, full_registry
from cadencia.servers.auth import parse_token_spec
from cadencia.servers.context import Backends, Scope
from cadencia.servers.hosts import MIN_PUBLIC_TOKEN_CHARS, host_literal, is_loopback
from cadencia.servers.paths import default_db, default_workdir
from cadencia.servers.profiles import combined_registry, select_tools
from cadencia.servers.sandbox import open_store, sandbox_backends
from cadencia.servers.transport import run_http, run_stdio
from cadencia.tools.errors import CadenciaError
from cadencia.tools.limits import load_limits
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.seed import Scale, seed_store
from cadencia.tools.seed.generate import SIZES
from cadencia.tools.store.store import Store

err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite path or postgresql:// URL. Default: $CADENCIA_DB or <data dir>/sandbox.db."),
]


def serve(
    capability: Annotated[Capability, typer.Argument(help="Which server: inventory, ads, reviews, crm or all.")],
    db: DbOption = None,
    limits: Annotated[Path | None, typer.Option(help="YAML file with server-side limits (caps, floors).")] = None,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    stateful: Annotated[
        bool, typer.Option("--stateful", help="Keep HTTP sessions (default: stateless, fit for replicas).")
    ] = False,
    sse: Annotated[bool, typer.Option("--sse", help="Answer HTTP with SSE streams instead of JSON.")] = False,
    token: Annotated[
        list[str] | None,
        typer.Option(
            help="Bearer token and scopes, TOKEN:read,write,pii (repeatable). Also $CADENCIA_TOKENS, ';'-sep."
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None, typer.Option(help="Host header values to accept when binding beyond loopback.")
    ] = None,
    auth_issuer: Annotated[
        str | None, typer.Option(help="Accept JWT access tokens from this OAuth issuer (with --auth-audience).")
    ] = None,
    auth_audience: Annotated[str | None, typer.Option(help="The audience (`aud`) JWTs must name.")] = None,
    jwks_url: Annotated[str | None, typer.Option(help="The issuer's JWKS URL (signing keys).")] = None,
    jwt_key: Annotated[
        Path | None, typer.Option(help="A PEM public key to verify JWTs with, instead of --jwks-url.", dir_okay=False)
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Hide every mutating tool.")] = False,
    pii: Annotated[bool, typer.Option("--pii", help="stdio/no-token callers may see unmasked PII.")] = False,
    log_level: Annotated[str, typer.Option(help="Server log level (stderr).")] = "WARNING",
    backends: Annotated[
        Path | None, typer.Option(help="backends.yaml: serve capabilities from vendors (Shopify, Meta, …).")
    ] = None,
    shadow: Annotated[
        bool, typer.Option("--shadow", help="Vendor writes are validated and recorded as proposals, not sent.")
    ] = False,
    policy: Annotated[
        str,
        typer.Option(
            help="Server policy: 'default' (shipped), a YAML file, or 'off' (no approvals, budgets or audit here)."
        ),
    ] = "default",
    workdir: Annotated[
        Path | None,
        typer.Option(help="Where approvals, budgets and the audit log live. Default: $CADENCIA_WORKDIR or user data."),
    ] = None,
    tools: Annotated[
        str | None,
        typer.Option(
            "--tools",
            help="List only these: capabilities (inventory,crm), profiles (agent: what Cadencia's agent calls; read) "
            "or tool names of `serve all`, comma-separated.",
        ),
    ] = None,
) -> None:
    """Run an MCP server over the sandbox store or the vendors named in --backends (stdio by default).

    Example: cadencia serve all --http --port 8765 --token "$TOKEN:read,write"
    """
    specs = list(token or []) + [s for s in os.environ.get("CADENCIA_TOKENS", "").split(";") if s.strip()]
    try:
        tokens = dict(parse_token_spec(s) for s in specs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--token") from None
    jwt = cli_options.jwt_settings(auth_issuer, auth_audience, jwks_url, jwt_key)
    if http and not is_loopback(host):
        if not tokens and jwt is None:
            raise typer.BadParameter(f"binding {host} (not loopback) requires --token", param_hint="--token")
        short = [t for t in tokens if len(t) < MIN_PUBLIC_TOKEN_CHARS]
        if short:
            raise typer.BadParameter(
                f"binding {host} (not loopback) needs tokens of at least {MIN_PUBLIC_TOKEN_CHARS} characters "
                f"({len(short)} shorter); make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                param_hint="--token",
            )
    scopes: frozenset[Scope] = frozenset({"read", "write", "pii"} if pii else {"read", "write"})
    try:
        only = select_tools(tools, combined_registry()) if tools is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tools") from None
    if shadow and backends is None:
        raise typer.BadParameter("--shadow needs --backends (the sandbox is already harmless)", param_hint="--shadow")
    lifespan: Callable[[], AbstractAsyncContextManager[Backends]] | None = None
    ready: Backends | None = None
    store: Store | None = None
    vendors: frozenset[str] = frozenset()
    if backends is not None:
        from cadencia.servers.vendors import vendor_lifespan, vendor_served  # vendor clients load only when served

        try:
            lifespan = vendor_lifespan(db or default_db(), limits, backends, shadow=shadow)
            vendors = vendor_served(backends)
        except CadenciaError as exc:
            raise typer.BadParameter(str(exc), param_hint="--backends") from None
    else:
        store = open_store(db or default_db())  # once per process: stateless HTTP enters the lifespan on every request
        ready = sandbox_backends(store, load_limits(limits))
    server_policy = cli_options.server_policy(policy)
    stack = ExitStack()
    safety = None
    if server_policy is not None:
        from cadencia.servers.safety.setup import open_safety  # the policy engine loads only when a policy is served

        root = workdir or default_workdir()
        safety = stack.enter_context(open_safety(server_policy, root=root, registry=full_registry()))
    server = build_server(
        capability,
        lifespan,
        backends=ready,
        read_only=read_only,
        default_scopes=scopes,
        host=host,
        port=port,
        json_response=not sse,
        stateless_http=not stateful,
        tokens=tokens or None,
        allowed_hosts=allowed_host,
        log_level=log_level.upper(),
        vendor_capabilities=vendors,
        jwt=jwt,
        safety=safety,
        only=only,
    )
    try:
        if http:
            where = f"cadencia-{capability.value} on http://{host_literal(host)}:{port}/mcp"
            err.print(where + (" (token required)" if tokens or jwt else ""))
            run_http(server, log_level=log_level)
        else:
            run_stdio(server)
    finally:
        stack.close()
        if store is not None:
            store.close()


def seed(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 7,
    scale: Annotated[Scale, typer.Option(help="small (demo) or large (100k SKUs, 1M contacts).")] = Scale.SMALL,
    force: Annotated[bool, typer.Option("--force", help="Delete an existing SQLite file first.")] = False,
    state_hash: Annotated[
        bool, typer.Option("--hash/--no-hash", help="Print the state hash at the end (a full pass over every row).")
    ] = False,
) -> None:
    """Create and seed the Maison Lysa sandbox database.

    Example: cadencia seed --db ./lysa.db --seed 7 --scale small
    """
    target = db or default_db()
    if "://" not in target:
        path = Path(target).expanduser()
        if path.exists():
            if not force:
                raise typer.BadParameter(f"{path} exists; pass --force to recreate it", param_hint="--db")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(target)
    if store.is_seeded():
        raise typer.BadParameter("that database is already seeded; use an empty one", param_hint="--db")
    sizes = SIZES[scale]
    total = sizes.skus * (1 + 2 + sizes.history_days) + sizes.contacts * 4 + sizes.reviews
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        task = progress.add_task(f"seeding {scale.value}", total=total)

        def advance(table: str, rows: int) -> None:
            progress.update(task, advance=rows, description=f"seeding {table}")

        seed_store(store, seed=seed, scale=scale, progress=advance)
        progress.update(task, completed=total)
    digest = f"; state hash {store.state_hash()[:16]}…" if state_hash else ""
    err.print(f"seeded {target} (seed {seed}, {scale.value}){digest}")
    store.close()


def list_tools(
    capability: Annotated[Capability, typer.Argument(help="Which server.")] = Capability.ALL,
    flat: Annotated[bool, typer.Option("--flat", help="One row per tool instead of one per capability.")] = False,
) -> None:
    """Print the tools by capability and reversibility class, from the registry itself (the README's table).

    Example: cadencia tools crm --flat
    """
    selected = list(TOOLSETS) if capability is Capability.ALL else [capability]
    if flat:
        table = Table("tool", "reversibility", "capability")
        for cap in selected:
            prefix = f"{cap.value}_" if capability is Capability.ALL else ""
            for name, reversibility in TOOLSETS[cap].registry(prefix).items():
                table.add_row(name, reversibility.value, cap.value)
    else:
        table = Table("capability", *(r.value for r in Reversibility), show_lines=True)
        for cap in selected:
            by_class: dict[Reversibility, list[str]] = {r: [] for r in Reversibility}
            for name, reversibility in TOOLSETS[cap].registry("").items():
                by_class[reversibility].append(name)
            table.add_row(cap.value, *(", ".join(by_class[r]) for r in Reversibility))
    Console().print(table)
