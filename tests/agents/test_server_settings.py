"""The Agent Server's run settings: the assistant's configuration wins over the environment; bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cadencia.agents.graph import NODES
from cadencia.agents.server_graph import ServerSettings, build_server_graph


def test_assistant_configuration_wins_over_the_environment() -> None:
    environ = {"CADENCIA_PLANNER": "llm", "CADENCIA_MODEL": "openai:gpt-4.1", "CADENCIA_MAX_CYCLES": "3"}
    settings = ServerSettings.from_config({"configurable": {"max_cycles": 1, "thread_id": "t"}}, environ)
    assert (settings.planner, settings.model, settings.max_cycles) == ("llm", "openai:gpt-4.1", 1)


def test_unset_settings_keep_the_bundled_goal_and_builtin_policy() -> None:
    settings = ServerSettings.from_config({}, {})
    assert settings.load_goal().id and settings.load_policy() is None


def test_a_bad_cycle_limit_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="max_cycles"):
        ServerSettings.from_config({"configurable": {"max_cycles": 0}}, {})


def test_a_goal_file_from_the_configuration_is_loaded(tmp_path: Path) -> None:
    bundled = ServerSettings.from_config({}, {}).load_goal()
    path = tmp_path / "goal.yaml"
    path.write_text(bundled.model_dump_json(), encoding="utf-8")
    assert ServerSettings.from_config({"configurable": {"goal": str(path)}}, {}).load_goal() == bundled


def test_the_served_graph_is_the_agent_graph_after_a_begin_step() -> None:
    nodes = set(build_server_graph().get_graph().nodes)
    assert nodes == {"__start__", "__end__", "begin", *NODES}
