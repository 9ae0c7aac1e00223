"""Durable checkpoints for the graph: SQLite by default, PostgreSQL by URL, with our state types allowlisted."""

from __future__ import annotations

import types
import typing
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from pathlib import Path

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from pydantic import BaseModel

from cadencia.agents.state import AgentState


def _types_in(annotation: object, found: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | Enum):
        if annotation in found:
            return
        found.add(annotation)
        if issubclass(annotation, BaseModel):
            for field in annotation.model_fields.values():
                _types_in(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _types_in(arg, found)
    if isinstance(annotation, types.UnionType):
        for arg in annotation.__args__:
            _types_in(arg, found)


def state_types() -> list[type]:
    """Every pydantic model and enum reachable from AgentState: the only custom types checkpoints may revive."""
    found: set[type] = set()
    for annotation in typing.get_type_hints(AgentState, include_extras=True).values():
        _types_in(annotation, found)
    return sorted(found, key=lambda t: f"{t.__module__}.{t.__qualname__}")


def serializer() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=state_types())


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


@asynccontextmanager
async def open_checkpointer(url_or_path: str | Path) -> AsyncIterator[BaseCheckpointSaver]:
    """An async checkpointer at a SQLite path or a PostgreSQL URL (needs the `postgres` extra)."""
    target = str(url_or_path)
    if is_postgres(target):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver  # optional extra: only imported for PostgreSQL

        conninfo = target.replace("postgresql+psycopg://", "postgresql://")
        async with AsyncPostgresSaver.from_conn_string(conninfo, serde=serializer()) as saver:
            await saver.setup()
            yield saver
        return
    Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(Path(target).expanduser())) as conn:
        saver = AsyncSqliteSaver(conn, serde=serializer())
        await saver.setup()
        yield saver
