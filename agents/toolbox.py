"""The graph's only way to reach capabilities: MCP tools loaded as LangChain tools over persistent sessions.

A `Toolbox` knows each tool's reversibility from the server's `_meta` registry; a tool without one (a
third-party server) is treated as irreversible.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, JsonValue

from cadencia.tools.reversibility import META_KEY, Reversibility


class ToolOutcome(BaseModel):
    """What a tool call returned: structured content when the tool has an output schema, else text."""

    ok: bool
    structured: JsonValue = None
    text: str = ""


def reversibility_of(tool: BaseTool) -> Reversibility:
    """From the server's published registry (`_meta`); hints alone are not trusted, unknown means irreversible."""
    meta = (tool.metadata or {}).get("_meta") or {}
    value = meta.get(META_KEY) if isinstance(meta, dict) else None
    try:
        return Reversibility(value) if value else Reversibility.IRREVERSIBLE
    except ValueError:
        return Reversibility.IRREVERSIBLE


def message_text(message: ToolMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = [b.get("text", "") if isinstance(b, dict) else str(b) for b in message.content]
    return "\n".join(p for p in parts if p)


@dataclass
class Toolbox:
    """LangChain tools by name, with the trusted reversibility of each and a counter of calls made."""

    tools: dict[str, BaseTool]
    calls: int = 0
    _ids: itertools.count = field(default_factory=itertools.count)

    @classmethod
    def of(cls, tools: list[BaseTool]) -> Toolbox:
        return cls(tools={t.name: t for t in tools})

    def reversibility(self, name: str) -> Reversibility:
        tool = self.tools.get(name)
        return reversibility_of(tool) if tool is not None else Reversibility.IRREVERSIBLE

    def registry(self) -> dict[str, Reversibility]:
        return {name: reversibility_of(tool) for name, tool in self.tools.items()}

    def accepts(self, name: str, arg: str) -> bool:
        tool = self.tools.get(name)
        schema = tool.args_schema if tool is not None else None
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        return arg in properties

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
        artifact = message.artifact if isinstance(message.artifact, dict) else {}
        structured = artifact.get("structured_content")
        return ToolOutcome(ok=message.status != "error", structured=structured, text=message_text(message))

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
