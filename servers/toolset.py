"""Declaring tools once: name, reversibility class, honest MCP hints, scope checks, registration on a server.

The reversibility of every tool lives here, in code (the trusted registry), and is published to clients in the
tool's `_meta` under `cadencia/reversibility`; where its result carries third-party text, under `cadencia/untrusted`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from cadencia.servers.arguments import tighten
from cadencia.servers.errors import guarded
from cadencia.servers.listing import shape
from cadencia.servers.safety.hook import behind_safety
from cadencia.tools import untrusted
from cadencia.tools.names import CAPABILITY_META_KEY
from cadencia.tools.reversibility import META_KEY, Reversibility

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ToolSpec:
    name: str
    fn: Callable[..., Awaitable[Any]]
    title: str
    reversibility: Reversibility
    idempotent: bool
    open_world: bool
    additive: bool = False

    @property
    def takes_idempotency_key(self) -> bool:
        return "idempotency_key" in inspect.signature(self.fn).parameters

    def annotations(self, *, vendor: bool = False) -> ToolAnnotations:
        """MCP hints as the spec defines them, derived from what the tool declares so they cannot drift.

        `destructiveHint` is true for every mutating tool that overwrites or deletes state, reversible or not, and for
        sends nobody can take back (the spec's false means "only additive updates"; reversibility is in `_meta`);
        `idempotentHint` is true for reads, for absolute writes, and wherever an `idempotency_key` makes a retry
        with the same arguments a no-op; `openWorldHint` is true for tools that reach people or systems outside
        (sends, public replies, launches) and for every tool of a capability served by a vendor (`vendor`).
        """
        read = self.reversibility is Reversibility.READ
        return ToolAnnotations(
            title=self.title,
            readOnlyHint=read,
            destructiveHint=not read and not self.additive,
            idempotentHint=read or self.idempotent or self.takes_idempotency_key,
            openWorldHint=self.open_world or vendor,
        )


def untrusted_result_paths(tool: Tool) -> list[str]:
    """JSON paths of third-party text in a tool's result, from the fields its model marks (published in `_meta`).

    Read from the full result schema the SDK derived when the tool was made (before `shape` publishes only
    "object"), so the schema is generated once per tool at start-up, not twice.
    """
    schema = tool.fn_metadata.output_schema
    return untrusted.untrusted_paths(schema) if schema is not None else []


@dataclass
class ToolSet:
    """The tools of one capability, before they are put on a server (alone, or prefixed in the combined one)."""

    capability: str
    specs: list[ToolSpec] = field(default_factory=list)
    _built: dict[tuple[str, bool, bool, int], list[Tool]] = field(default_factory=dict, repr=False, compare=False)
    """Tools already built, by (prefix, read_only, vendor, number of specs): see `build`."""

    def tool(
        self,
        reversibility: Reversibility,
        *,
        title: str,
        idempotent: bool = False,
        open_world: bool = False,
        additive: bool = False,
    ) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
        """Declare a tool: `idempotent` for absolute writes, `additive` when it only creates new records."""

        def decorator(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
            self.specs.append(
                ToolSpec(
                    name=fn.__name__,
                    fn=fn,
                    title=title,
                    reversibility=reversibility,
                    idempotent=idempotent,
                    open_world=open_world,
                    additive=additive,
                )
            )
            return fn

        return decorator

    def registry(self, prefix: str = "") -> dict[str, Reversibility]:
        return {prefix + spec.name: spec.reversibility for spec in self.specs}

    def build(self, *, prefix: str = "", read_only: bool = False, vendor: bool = False) -> list[Tool]:
        """SDK tools for every spec, each behind the safety hook; mutating tools are left out in read-only mode and
        need the `write` scope.

        `vendor`: this capability is served by a vendor's API, so every tool reaches an outside system.

        Built once per process and shape: a built tool holds no server, store or safety layer (the call finds
        those in its context), and building means deriving a pydantic model and JSON schemas from each signature
        (≈ 1 s of CPU for the 57 tools), which every in-process session and `approvals approve` paid again.
        """
        key = (prefix, read_only, vendor, len(self.specs))
        if key not in self._built:
            self._built[key] = self._build(prefix=prefix, read_only=read_only, vendor=vendor)
        return list(self._built[key])

    def _build(self, *, prefix: str, read_only: bool, vendor: bool) -> list[Tool]:
        tools = []
        for spec in self.specs:
            if read_only and spec.reversibility.mutates:
                continue
            name = prefix + spec.name
            fn = behind_safety(spec.fn, tool=f"{self.capability}_{spec.name}", reversibility=spec.reversibility)
            tool = Tool.from_function(
                guarded(name, fn),
                name=name,
                title=spec.title,
                annotations=spec.annotations(vendor=vendor),
                structured_output=True,
            )
            tool.meta = {
                META_KEY: spec.reversibility.value,
                CAPABILITY_META_KEY: self.capability,
                untrusted.META_KEY: untrusted_result_paths(tool),
            }
            tighten(tool, strict=spec.reversibility.mutates)
            shape(tool)
            tools.append(tool)
        return tools
