"""The graph's only way to reach capabilities: MCP tools loaded as LangChain tools over persistent sessions.

A `Toolbox` knows each tool's reversibility from the server's `_meta` registry; a tool without one (a
third-party server) is treated as irreversible. It also knows where each tool's result carries third-party text
(`cadencia/untrusted`), and reads results into typed views (`read_as`) so schema drift fails here, by name.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field, JsonValue

from cadencia.agents.results import View, parse_result
from cadencia.agents.server_forms import QUESTION_ARTIFACT, ServerQuestion
from cadencia.tools import untrusted
from cadencia.tools.names import CAPABILITIES, CAPABILITY_META_KEY, capability_of, qualified
from cadencia.tools.reversibility import META_KEY, Reversibility

V = TypeVar("V", bound=BaseModel)


def message_text(message: ToolMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = [b.get("text", "") if isinstance(b, dict) else str(b) for b in message.content]
    return "\n".join(p for p in parts if p)


class ToolOutcome(BaseModel):
    """What a tool call returned: structured content when the tool has an output schema, else text."""

    ok: bool
    structured: JsonValue = None
    text: str = ""
    question: ServerQuestion | None = Field(None, description="What the server asked a person, unanswered yet.")

    @classmethod
    def from_message(cls, message: ToolMessage) -> ToolOutcome:
        """From a LangChain ToolMessage: MCP structured content rides in its artifact, errors in its status."""
        artifact = message.artifact if isinstance(message.artifact, dict) else {}
        asked = artifact.get(QUESTION_ARTIFACT)
        return cls(
            ok=message.status != "error" and not artifact.get("is_error"),
            structured=artifact.get("structured_content"),
            text=message_text(message),
            question=ServerQuestion.model_validate(asked) if isinstance(asked, dict) else None,
        )

    @property
    def payload(self) -> JsonValue:
        """Structured content when there is some, else the text: what a reader of the result sees."""
        return self.structured if self.structured is not None else self.text


def _meta(tool: BaseTool) -> dict[str, Any]:
    meta = (tool.metadata or {}).get("_meta") or {}
    return meta if isinstance(meta, dict) else {}


def reversibility_of(tool: BaseTool) -> Reversibility:
    """From the server's published registry (`_meta`); hints alone are not trusted, unknown means irreversible."""
    value = _meta(tool).get(META_KEY)
    try:
        return Reversibility(value) if value else Reversibility.IRREVERSIBLE
    except ValueError:
        return Reversibility.IRREVERSIBLE


def agent_name(tool: BaseTool) -> str:
    """`<capability>_<tool>`: a single-capability server's bare `set_price` becomes `inventory_set_price`."""
    capability = _meta(tool).get(CAPABILITY_META_KEY)
    if capability in CAPABILITIES and capability_of(tool.name) != capability:
        return qualified(str(capability), tool.name)
    return tool.name


def untrusted_paths_of(tool: BaseTool | None) -> tuple[str, ...] | None:
    """Where the tool's results carry third-party text, as its server declared; None (all of it) when undeclared."""
    paths = _meta(tool).get(untrusted.META_KEY) if tool is not None else None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return None
    return tuple(paths)


def accepts_argument(tool: BaseTool | None, arg: str) -> bool:
    """Whether the tool's input schema has the argument (e.g. `idempotency_key`)."""
    schema = tool.args_schema if tool is not None else None
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return arg in properties


class ResultWitness(Protocol):
    """Told of every result a read returns, with where the tool declared third-party text (taint collection)."""

    def record(self, tool: str, payload: JsonValue, paths: Sequence[str] | None) -> None: ...


class _Page(View):
    items: list[JsonValue]
    next_cursor: str | None = None


@dataclass
class Toolbox:
    """LangChain tools by name, with the trusted reversibility of each and a counter of calls made."""

    tools: dict[str, BaseTool]
    calls: int = 0
    _ids: itertools.count = field(default_factory=itertools.count)

    @classmethod
    def of(cls, tools: list[BaseTool]) -> Toolbox:
        """Tools by the name the agent uses for them: one naming scheme whether servers are combined or single.

        Two tools that would go by the same name (say a combined and a single-capability server both connected)
        are refused rather than one silently replacing the other.
        """
        named: dict[str, BaseTool] = {}
        for tool in tools:
            name = agent_name(tool)
            if name in named:
                raise ValueError(f"two connected tools are both named {name!r}; connect each capability once")
            named[name] = tool if name == tool.name else tool.model_copy(update={"name": name})
        return cls(tools=named)

    def reversibility(self, name: str) -> Reversibility:
        tool = self.tools.get(name)
        return reversibility_of(tool) if tool is not None else Reversibility.IRREVERSIBLE

    def registry(self) -> dict[str, Reversibility]:
        return {name: reversibility_of(tool) for name, tool in self.tools.items()}

    def accepts(self, name: str, arg: str) -> bool:
        return accepts_argument(self.tools.get(name), arg)

    def untrusted_paths(self, name: str) -> tuple[str, ...] | None:
        """Paths of third-party text in `name`'s results; None when undeclared (every string is untrusted)."""
        return untrusted_paths_of(self.tools.get(name))

    def has(self, name: str) -> bool:
        return name in self.tools

    async def call(self, name: str, args: dict[str, JsonValue]) -> ToolOutcome:
        """Invoke a tool; MCP tool errors come back as `ok=False` with the server's message."""
        tool = self.tools.get(name)
        if tool is None:
            return ToolOutcome(ok=False, text=f"unknown tool {name!r}")
        self.calls += 1
        call_id = f"cadencia-{next(self._ids)}"
        message = await tool.ainvoke({"type": "tool_call", "id": call_id, "name": name, "args": args})
        assert isinstance(message, ToolMessage)
        return ToolOutcome.from_message(message)

    async def read(self, name: str, args: dict[str, JsonValue] | None = None) -> dict[str, Any] | None:
        """Structured result of a read, or None when the tool is missing or the call failed."""
        if not self.has(name):
            return None
        outcome = await self.call(name, args or {})
        return outcome.structured if outcome.ok and isinstance(outcome.structured, dict) else None

    async def read_pages(
        self, name: str, args: dict[str, JsonValue] | None = None, *, max_items: int, page_size: int = 100
    ) -> tuple[list[dict[str, Any]], bool]:
        """Items of a paged list tool, up to `max_items`; the flag says whether every page was read."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while len(items) < max_items:
            page = await self.read(name, {**(args or {}), "limit": page_size} | ({"cursor": cursor} if cursor else {}))
            if page is None:
                return items, False
            items.extend(page.get("items", []))
            cursor = page.get("next_cursor")
            if not cursor:
                return items, True
        return items, False

    async def read_as(
        self, name: str, args: dict[str, JsonValue] | None, view: type[V], *, witness: ResultWitness | None = None
    ) -> V | None:
        """A read validated into `view`; None when the tool is missing or the call failed.

        Raises `ToolResultError` (tool and field named) when the result does not fit the view.
        """
        payload = await self.read(name, args)
        if payload is None:
            return None
        if witness is not None:
            witness.record(name, payload, self.untrusted_paths(name))
        return parse_result(name, payload, view)

    async def read_pages_as(
        self,
        name: str,
        args: dict[str, JsonValue] | None,
        item: type[V],
        *,
        max_items: int,
        page_size: int = 100,
        witness: ResultWitness | None = None,
    ) -> tuple[list[V], bool]:
        """Items of a paged list tool validated into `item`, up to `max_items`; the flag says every page was read."""
        items: list[V] = []
        cursor: str | None = None
        while len(items) < max_items:
            paging: dict[str, JsonValue] = {"limit": page_size} | ({"cursor": cursor} if cursor else {})
            payload = await self.read(name, {**(args or {}), **paging})
            if payload is None:
                return items, False
            if witness is not None:
                witness.record(name, payload, self.untrusted_paths(name))
            page = parse_result(name, payload, _Page)
            items += [parse_result(name, row, item, at=f"items[{i}]") for i, row in enumerate(page.items)]
            cursor = page.next_cursor
            if not cursor:
                return items, True
        return items, False
