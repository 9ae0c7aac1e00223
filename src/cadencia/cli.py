"""The `cadencia` command: one typer app gathering each layer's commands, each imported only when it runs.

`cadencia --version` or `cadencia serve …` must not pay for the agent stack, LangChain or the simulator: the
root group knows each command's module and one-line help, and imports the module when the command is invoked.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

import click
import typer
from typer.core import TyperGroup, TyperOption

from cadencia import __version__


def _flag_type_hidden(display: Callable[[TyperOption, click.Context], str | None]) -> Callable[..., str | None]:
    """Typer 0.2x prints a `<bool>` placeholder after every flag (`--help <bool>`): flags take no value, show none."""

    def display_type_rich(self: TyperOption, ctx: click.Context) -> str | None:
        return None if self.is_flag else display(self, ctx)

    return display_type_rich


TyperOption.display_type_rich = _flag_type_hidden(TyperOption.display_type_rich)  # type: ignore[method-assign]


class Lazy(NamedTuple):
    target: str
    """`module:attribute`: a typer app (a command group) or a command function."""
    help: str


COMMANDS: dict[str, Lazy] = {
    "serve": Lazy("cadencia.servers.cli:serve", "Serve a capability's MCP tools over stdio or HTTP."),
    "proxy": Lazy(
        "cadencia.servers.proxy.cli:proxy", "Guard any MCP server: policy, approvals, undo and audit in front of it."
    ),
    "seed": Lazy("cadencia.servers.cli:seed", "Create and seed the Maison Lysa sandbox database."),
    "tools": Lazy("cadencia.servers.cli:list_tools", "Print every tool with its reversibility class."),
    "demo": Lazy("cadencia.evals.cli_demo:demo", "Run the Maison Lysa spring launch on the sandbox and simulator."),
    "run": Lazy("cadencia.agents.cli:run", "Pursue a goal with guardrails, approvals and an audit log."),
    "rollback": Lazy("cadencia.agents.cli:rollback_command", "Undo a run's reversible actions, newest first."),
    "approvals": Lazy("cadencia.agents.approvals_cli:approvals_app", "List and answer approvals that paused a run."),
    "inbox": Lazy("cadencia.agents.inbox.cli:inbox", "Serve the approvals inbox in the browser (approve scope)."),
    "freeze": Lazy("cadencia.servers.safety.cli:freeze", "Kill switch: refuse every mutating call (on), or lift it."),
    "eval": Lazy("cadencia.evals.cli:eval_app", "Run a scenario suite, compare two runs, print the scenario schema."),
    "audit": Lazy("cadencia.servers.audit_cli:audit_app", "Verify, inspect and prove entries of the audit log."),
    "policy": Lazy("cadencia.agents.guardrails.cli:policy_app", "See what a guardrail policy decides about an action."),
    "backends": Lazy("cadencia.servers.vendors_cli:backends_app", "Validate backends.yaml and test each vendor."),
    "shadow": Lazy("cadencia.servers.vendors_cli:shadow_app", "Shadow mode: what Cadencia would have done."),
    "sync": Lazy("cadencia.servers.vendors_cli:sync", "Mirror vendor history (orders, daily insights)."),
}


def load_command(name: str, lazy: Lazy) -> click.Command:
    """Import the command's module and turn its typer app or function into a click command named `name`."""
    module, _, attribute = lazy.target.partition(":")
    target: Any = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)  # a group even when it has a single subcommand
    else:
        single = typer.Typer(pretty_exceptions_show_locals=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """Lists every command from `COMMANDS` and imports one only when it is invoked (or its own help is shown);
    the root help lists them from their one-line help without importing anything."""

    listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            lazy = COMMANDS[cmd_name]
            if self.listing or ctx.resilient_parsing:
                return click.Command(cmd_name, help=lazy.help, short_help=lazy.help)
            self.add_command(load_command(cmd_name, lazy))
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="cadencia",
    cls=LazyGroup,
    help="Safe, goal-driven marketing operations for LLM agents: MCP servers, an agent graph, an eval harness.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


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
