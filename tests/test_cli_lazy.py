"""The `cadencia` root command imports a subcommand's module only when it runs: `--version` and the root help load
neither the agent stack, LangChain, the MCP SDK nor the simulator; every listed command still resolves. `serve`
answers `initialize` without the agent stack, the simulator, vendor clients, PyJWT or a dialect it does
not use."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cadencia.cli import COMMANDS, app

HEAVY = ("langgraph", "langchain_core", "mcp", "sqlalchemy", "numpy", "cadencia.agents.session", "cadencia.servers")


SERVE_NEVER = (
    "langgraph",
    "langchain",
    "langchain_core",
    "numpy",
    "cadencia.agents",
    "cadencia.evals",
    "cadencia.tools.vendors.factory",
    "httpx",
    "jwt",
    "sqlalchemy.dialects.postgresql",
)
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MARK = "--- modules ---"


def _modules_after(*args: str, stdin: str = "") -> set[str]:
    """Modules loaded once `cadencia ARGS` returned (for `serve`: after it answered `stdin` and saw it close)."""
    code = (
        "import sys\nfrom cadencia.cli import app\n"
        f"try:\n    app({list(args)!r})\nexcept SystemExit:\n    pass\n"
        f"print({MARK!r})\nprint('\\n'.join(sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, input=stdin)
    answer, _, modules = run.stdout.partition(MARK)
    if stdin:
        assert '"result"' in answer and '"serverInfo"' in answer, (answer, run.stderr[-2000:])
    return set(modules.split())


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


def test_serve_answers_initialize_without_the_agent_stack_or_unused_clients(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "sandbox.db"
    shutil.copyfile(seeded_sqlite_template, db)
    loaded = _modules_after(
        "serve", "all", "--db", str(db), "--workdir", str(tmp_path / "work"), stdin=json.dumps(INITIALIZE) + "\n"
    )
    assert "mcp" in loaded and "sqlalchemy" in loaded  # it did start a server on the store
    unwanted = sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in SERVE_NEVER))
    assert not unwanted, f"serve imported {unwanted[:8]}"
