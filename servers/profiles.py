"""Which tools a server lists: `--tools inventory,crm`, a named profile, single tool names, or a mix.

Every listed tool costs the model context before any work, so a client that needs a few capabilities asks for those.
Names are those of the combined server (`crm_send_now`); a profile is a named set of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

from cadencia.servers.app import TOOLSETS
from cadencia.tools.names import CAPABILITIES, TOOL_NAMES, capability_of
from cadencia.tools.reversibility import Reversibility

PROFILES: dict[str, Callable[[Mapping[str, Reversibility]], frozenset[str]]] = {
    "agent": lambda registry: frozenset(name.value for name in TOOL_NAMES if name.value in registry),
    "read": lambda registry: frozenset(name for name, rv in registry.items() if rv is Reversibility.READ),
}
"""`agent`: the tools Cadencia's own planners and guardrails call; `read`: every read-only tool."""


def combined_registry() -> dict[str, Reversibility]:
    """Every tool of `cadencia serve all`, by name, with its reversibility."""
    registry: dict[str, Reversibility] = {}
    for cap, toolset in TOOLSETS.items():
        registry |= toolset.registry(f"{cap.value}_")
    return registry


def select_tools(spec: str, registry: Mapping[str, Reversibility]) -> frozenset[str]:
    """The combined-server tool names `spec` (comma-separated capabilities, profiles, tool names) stands for.

    Raises:
        ValueError: naming each unknown entry and the closest known one.
    """
    chosen: set[str] = set()
    unknown: list[str] = []
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        if entry in CAPABILITIES:
            chosen |= {name for name in registry if capability_of(name) == entry}
        elif entry in PROFILES:
            chosen |= PROFILES[entry](registry)
        elif entry in registry:
            chosen.add(entry)
        else:
            unknown.append(entry)
    if unknown:
        known = [*CAPABILITIES, *PROFILES, *registry]
        hints = []
        for entry in unknown:
            close = difflib.get_close_matches(entry, known, n=1)
            hints.append(f"{entry!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(
            f"unknown in --tools: {', '.join(hints)}; use capabilities ({', '.join(CAPABILITIES)}), "
            f"profiles ({', '.join(PROFILES)}) or tool names of `cadencia serve all`"
        )
    if not chosen:
        raise ValueError("--tools selects no tool")
    return frozenset(chosen)
