"""`deploy/` stays true: the systemd unit runs a `cadencia serve` command line the CLI accepts, and every setting
in the example environment file is one Cadencia (or OpenTelemetry) reads."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from cadencia.cli import COMMANDS, load_command

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SOURCES = ("tools", "servers", "agents", "src")


def _exec_start() -> list[str]:
    unit = (DEPLOY / "systemd" / "cadencia-serve@.service").read_text(encoding="utf-8")
    (line,) = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_replica_unit_runs_serve_all_with_options_the_cli_knows() -> None:
    argv = _exec_start()
    assert argv[0].endswith("/bin/cadencia") and argv[1:3] == ["serve", "all"]
    serve = load_command("serve", COMMANDS["serve"])
    known = {opt for param in serve.params for opt in param.opts}
    flags = [a for a in argv[3:] if a.startswith("--")]
    assert flags and set(flags) <= known, f"unknown options: {set(flags) - known}"
    assert "--http" in flags and argv[argv.index("--port") + 1] == "%i", "the instance name is the port"


def test_every_setting_in_the_example_environment_is_read_somewhere() -> None:
    example = (DEPLOY / "cadencia.env.example").read_text(encoding="utf-8")
    names = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, re.M)
    code = "\n".join(p.read_text(encoding="utf-8") for d in SOURCES for p in (ROOT / d).rglob("*.py"))
    unit = (DEPLOY / "systemd" / "cadencia-serve@.service").read_text(encoding="utf-8")
    for name in names:
        read = name in code or f"${{{name}}}" in unit or name.startswith("OTEL_")
        assert read, f"{name} in cadencia.env.example is read by nothing"
