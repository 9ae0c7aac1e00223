"""The `cadencia` command: one typer app gathering each layer's commands."""

from __future__ import annotations

import typer

from cadencia import __version__
from cadencia.agents import cli as agents_cli
from cadencia.agents.approvals_cli import approvals_app
from cadencia.agents.guardrails.cli import policy_app
from cadencia.evals import cli as evals_cli
from cadencia.evals import cli_demo
from cadencia.servers import cli as servers_cli
from cadencia.servers.audit_cli import audit_app
from cadencia.servers.vendors_cli import backends_app, shadow_app
from cadencia.servers.vendors_cli import sync as sync_command

app = typer.Typer(
    name="cadencia",
    help="Safe, goal-driven marketing operations for LLM agents: MCP servers, an agent graph, an eval harness.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("serve")(servers_cli.serve)
app.command("seed")(servers_cli.seed)
app.command("tools")(servers_cli.list_tools)
app.command("demo")(cli_demo.demo)
app.command("run")(agents_cli.run)
app.command("rollback")(agents_cli.rollback_command)
app.add_typer(approvals_app, name="approvals")
app.add_typer(evals_cli.eval_app, name="eval")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")
app.add_typer(backends_app, name="backends")
app.add_typer(shadow_app, name="shadow")
app.command("sync")(sync_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Cadencia command line."""


def main() -> None:
    app()
