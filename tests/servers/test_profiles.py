"""`--tools`: capabilities, named profiles and tool names select what a server lists; unknown names are refused."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cadencia.cli import app
from cadencia.servers.app import TOOLSETS, Capability, build_server
from cadencia.servers.context import Backends
from cadencia.servers.listing import listing_chars
from cadencia.servers.profiles import select_tools
from cadencia.tools.names import TOOL_NAMES
from cadencia.tools.reversibility import Reversibility

REGISTRY: dict[str, Reversibility] = {}
for cap, toolset in TOOLSETS.items():
    REGISTRY |= toolset.registry(f"{cap.value}_")


def test_capabilities_select_every_tool_of_each() -> None:
    chosen = select_tools("inventory, crm", REGISTRY)
    assert chosen == {n for n in REGISTRY if n.startswith(("inventory_", "crm_"))}
    assert "crm_send_now" in chosen and "ads_set_budget" not in chosen


def test_profiles_and_single_tools_mix() -> None:
    assert select_tools("agent", REGISTRY) == {name.value for name in TOOL_NAMES}
    reads = select_tools("read", REGISTRY)
    assert reads and all(REGISTRY[n] is Reversibility.READ for n in reads)
    assert select_tools("read,crm_send_now", REGISTRY) == reads | {"crm_send_now"}


@pytest.mark.parametrize(("spec", "hint"), [("invetory", "'inventory'"), ("crm_sendnow", "'crm_send_now'")])
def test_an_unknown_entry_is_refused_with_the_closest_known_name(spec: str, hint: str) -> None:
    with pytest.raises(ValueError, match=f"did you mean {hint}"):
        select_tools(f"ads,{spec}", REGISTRY)


def test_an_empty_selection_is_refused() -> None:
    with pytest.raises(ValueError, match="selects no tool"):
        select_tools(" , ", REGISTRY)


def test_capability_enum_and_names_agree() -> None:
    assert {c.value for c in Capability if c is not Capability.ALL} == {"inventory", "ads", "reviews", "crm"}


async def test_a_server_built_with_only_some_tools_lists_and_serves_only_those(backends: Backends) -> None:
    server = build_server(Capability.ALL, backends=backends, only=select_tools("inventory,crm_send_now", REGISTRY))
    names = {t.name for t in await server.list_tools()}
    assert names == {n for n in REGISTRY if n.startswith("inventory_")} | {"crm_send_now"}
    assert set(server.registry) == names
    assert listing_chars(await server.list_tools()) < listing_chars(
        await build_server(Capability.ALL, backends=backends).list_tools()
    )


async def test_a_single_capability_server_takes_the_same_selection(backends: Backends) -> None:
    server = build_server(Capability.CRM, backends=backends, only=select_tools("read", REGISTRY))
    names = {t.name for t in await server.list_tools()}
    assert "find_contacts" in names and "send_now" not in names


def test_serve_refuses_an_unknown_tools_entry_before_starting() -> None:
    result = CliRunner().invoke(app, ["serve", "all", "--tools", "inventory,crmm"])
    assert result.exit_code == 2 and "did you mean 'crm'" in result.output
