"""The eval harness through the guardrail proxy: the graph's in-process session and external agents' world server."""

from __future__ import annotations

import shlex
from pathlib import Path

from cadencia.agents.session import INPROCESS, PROXY, connect_servers
from cadencia.agents.workdir import Workdir
from cadencia.evals.episode import EpisodeSpec
from cadencia.evals.external import world_server_command
from cadencia.evals.scenarios import load_suite
from cadencia.servers.app import full_registry
from cadencia.tools.store.store import Store

ROOT = Path(__file__).parents[2]
OVERLAY = ROOT / "overlays" / "cadencia.yaml"


async def test_graph_session_through_the_proxy_sees_the_same_tools_and_classes(store: Store, tmp_path: Path) -> None:
    async with connect_servers(f"{INPROCESS}{PROXY}{OVERLAY}", Workdir.at(tmp_path), store=store) as (toolbox, _):
        classes = {name: toolbox.reversibility(name) for name in full_registry()}
        assert toolbox.untrusted_paths("reviews_list_reviews") == (
            "items[].author",
            "items[].customer_text.title",
            "items[].customer_text.body",
        )
    assert classes == full_registry()


def test_external_agents_world_is_served_through_cadencia_proxy(tmp_path: Path) -> None:
    scenario = load_suite(ROOT / "evals" / "suites" / "smoke").scenarios[0]
    spec = EpisodeSpec(scenario=scenario, trial=0, directory=tmp_path, server_policy="default", proxy_overlay=OVERLAY)
    command = world_server_command(spec, limits=tmp_path / "limits.yaml", port=8123, token="t")
    assert command[3] == "proxy" and command[command.index("--overlay") + 1] == str(OVERLAY)
    assert command[command.index("--policy") + 1] == "default"
    upstream = shlex.split(command[command.index("--upstream") + 1])
    assert upstream[3:5] == ["serve", "all"] and upstream[upstream.index("--policy") + 1] == "off"
    direct = world_server_command(spec.model_copy(update={"proxy_overlay": None}), limits=tmp_path, port=1, token="t")
    assert direct[3:5] == ["serve", "all"] and direct[direct.index("--policy") + 1] == "default"
