"""The newcomer's small stumbles, each pinned: the tools table, flags without `<bool>`, an unknown run in `audit
show`, every goal error at once, a missing LLM provider package named, no `__interrupt__` on screen."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cadencia.agents.goal import Goal, GoalError
from cadencia.agents.planners import factory
from cadencia.agents.planners.factory import PlannerError, make_planner
from cadencia.agents.terminal import LiveView
from cadencia.cli import app
from cadencia.tools.audit import AuditKind, AuditLog

WIDE = {"COLUMNS": "400"}


def test_tools_prints_the_capability_by_reversibility_table() -> None:
    result = CliRunner().invoke(app, ["tools"], env=WIDE)
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "capability" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")] == [
        "capability",
        "read",
        "reversible",
        "compensable",
        "irreversible",
    ]
    ads = next(line for line in result.output.splitlines() if line.startswith("│ ads "))
    assert "launch_campaign" in ads.split("│")[4]
    flat = CliRunner().invoke(app, ["tools", "--flat"], env=WIDE)
    assert "inventory_confirm_purchase_order" in flat.output


@pytest.mark.parametrize("command", [["demo", "--help"], ["run", "--help"], ["serve", "--help"]])
def test_flags_show_no_value_placeholder(command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output


def test_audit_show_of_an_unknown_run_is_an_error(tmp_path: Path) -> None:
    with AuditLog.open(tmp_path / "audit.db", key_path=tmp_path / "audit-signing-key.pem") as log:
        log.append(run_id="known", actor="graph", kind=AuditKind.RUN, payload={"event": "start"})
    result = CliRunner().invoke(app, ["audit", "show", "nope", "--workdir", str(tmp_path)], env=WIDE)
    assert result.exit_code == 2
    assert "no audit records for run 'nope'" in result.output


def test_goal_validation_names_every_problem() -> None:
    with pytest.raises(GoalError) as caught:
        Goal.from_yaml_text("id: BAD ID\nobjective: x\nkpi: {metric: revenue, target: 1, horizon_days: 0}\n")
    message = str(caught.value)
    assert "id:" in message and "objective:" in message and "kpi.horizon_days:" in message


def test_the_llm_planner_without_its_provider_package_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(model: str) -> object:
        raise ImportError("Initializing ChatOpenAI requires the langchain-openai package.")

    monkeypatch.setattr(factory, "init_chat_model", missing)
    with pytest.raises(PlannerError, match=r"--model openai:gpt-4\.1: .*langchain-openai"):
        make_planner("llm", model="openai:gpt-4.1")


def test_the_live_view_never_shows_langgraph_internal_node_names() -> None:
    goal = Goal.model_validate(
        {"id": "g", "objective": "grow", "kpi": {"metric": "revenue", "target": 100, "horizon_days": 3}}
    )
    view = LiveView(Console(file=io.StringIO(), force_terminal=False), "r", goal, cycles=1)
    view.update("__interrupt__", {})
    assert view.node == "waiting for approval"
    assert "cycle 0/1" in str(view._render().renderable)
