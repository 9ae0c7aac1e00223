"""The `cadencia` root command imports a subcommand's module only when it runs: `--version` and the root help load
neither the agent stack, LangChain, the MCP SDK nor the simulator; every listed command still resolves."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from cadencia.cli import COMMANDS, app

HEAVY = ("langgraph", "langchain_core", "mcp", "sqlalchemy", "numpy", "cadencia.agents.session", "cadencia.servers")


def _modules_after(*args: str) -> set[str]:
    code = (
        "import sys\nfrom cadencia.cli import app\n"
        f"try:\n    app({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_version_and_root_help_import_no_subcommand_stack() -> None:
    for args in (["--version"], ["--help"]):
        loaded = _modules_after(*args)
        heavy = sorted(m for m in loaded if m.startswith(HEAVY))
        assert not heavy, f"cadencia {' '.join(args)} imported {heavy[:5]}"


def test_every_lazy_command_resolves_and_groups_stay_groups() -> None:
    for name in COMMANDS:
        result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
    single = CliRunner().invoke(app, ["backends", "check", "--help"], env={"COLUMNS": "200"})
    assert single.exit_code == 0 and "FILE" in single.output
