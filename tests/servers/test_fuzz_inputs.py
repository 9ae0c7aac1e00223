"""Every tool, fuzzed from its own published input schema on SQLite and PostgreSQL: a broken argument is a field
error that writes nothing, and no argument the schema allows ends as `[internal]` or writes on a refusal."""

from __future__ import annotations

from helpers.fuzz import arguments, breakages, broken, count_writes, examples, writes
from helpers.mcp import mcp_session
from mcp.types import CallToolResult

from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.store.store import Store

BROKEN_PER_KIND = 2
VALID_PER_TOOL = 6


def _text(result: CallToolResult) -> str:
    return result.content[0].text if result.content else ""  # type: ignore[union-attr]


async def test_broken_arguments_to_every_tool_are_field_errors_that_write_nothing(any_store: Store) -> None:
    count_writes(any_store)
    before = any_store.state_hash()
    async with mcp_session("all", sandbox_backends(any_store)) as s:
        tools = (await s.list_tools()).tools
        for tool in tools:
            for kind in breakages(tool.input_schema):
                for args in examples(broken(tool.input_schema, kind), BROKEN_PER_KIND):
                    result = await s.call_tool(tool.name, args)
                    text = _text(result)
                    assert result.is_error and text.startswith("[invalid_argument]"), (
                        tool.name,
                        args,
                        text,
                    )
    assert writes(any_store) == 0
    assert any_store.state_hash() == before


async def test_schema_valid_arguments_to_every_tool_succeed_or_fail_cleanly_writing_nothing(any_store: Store) -> None:
    count_writes(any_store)
    async with mcp_session("all", sandbox_backends(any_store)) as s:
        tools = (await s.list_tools()).tools
        for tool in tools:
            read_only = bool(tool.annotations and tool.annotations.read_only_hint)
            for args in examples(arguments(tool.input_schema), VALID_PER_TOOL):
                written = writes(any_store)
                result = await s.call_tool(tool.name, args)
                text = _text(result)
                assert not text.startswith("[internal]") and "Traceback" not in text, (tool.name, args, text)
                if result.is_error or read_only:
                    assert writes(any_store) == written, (tool.name, args, text)
