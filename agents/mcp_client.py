"""A client session that validates structured tool results with a compiled validator per tool.

The SDK's ClientSession re-checks the output schema against the JSON Schema metaschema on every call (tens of
milliseconds for a nested schema); results are still validated here, the schema is compiled once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from jsonschema import Draft202012Validator, SchemaError
from jsonschema.validators import validator_for
from mcp import ClientSession, types
from mcp.server.lowlevel import Server
from mcp.shared.memory import create_client_server_memory_streams


class ValidatingClientSession(ClientSession):
    """ClientSession whose output-schema validators are compiled once per tool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._validators: dict[str, Draft202012Validator] = {}

    async def _validate_tool_result(self, name: str, result: types.CallToolResult) -> None:
        if name not in self._tool_output_schemas:
            await self.list_tools()
        schema = self._tool_output_schemas.get(name)
        if schema is None:
            return
        if result.structuredContent is None:
            raise RuntimeError(f"Tool {name} has an output schema but did not return structured content")
        validator = self._validators.get(name)
        if validator is None:
            cls = validator_for(schema, default=Draft202012Validator)
            try:
                cls.check_schema(schema)
            except SchemaError as exc:
                raise RuntimeError(f"Invalid schema for tool {name}: {exc.message}") from exc
            validator = self._validators[name] = cls(schema)
        errors = sorted(validator.iter_errors(result.structuredContent), key=lambda e: list(e.path))
        if errors:
            raise RuntimeError(f"Invalid structured content returned by tool {name}: {errors[0].message}")


@asynccontextmanager
async def memory_session(server: Server[Any]) -> AsyncIterator[ValidatingClientSession]:
    """A connected session to a lowlevel server running in this process over in-memory streams."""
    async with create_client_server_memory_streams() as (client_streams, server_streams):
        client_read, client_write = client_streams
        server_read, server_write = server_streams
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: server.run(server_read, server_write, server.create_initialization_options()))
            try:
                async with ValidatingClientSession(client_read, client_write) as session:
                    await session.initialize()
                    yield session
            finally:
                tg.cancel_scope.cancel()
