"""Cursor paging for list tools, so a model never receives an unbounded list."""

from __future__ import annotations

import base64
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, Field

from cadencia.tools.errors import InvalidArgument

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Items per page (1-{MAX_LIMIT}).")]
Cursor = Annotated[str | None, Field(description="Opaque cursor from a previous page's next_cursor; omit for page 1.")]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of results; pass `next_cursor` back to get the next one."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="Cursor for the next page; null on the last page.")
    total: int | None = Field(default=None, description="Total matching items, when cheap to count.")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """Offset encoded in a cursor; a malformed cursor is a clear error, not page 1."""
    if not cursor:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        offset = int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(
            "cursor is not one this server issued; omit it to start from page 1", field="cursor"
        ) from exc
    if kind != "o" or offset < 0:
        raise InvalidArgument("cursor is not one this server issued; omit it to start from page 1", field="cursor")
    return offset


def next_cursor(offset: int, limit: int, fetched: int) -> str | None:
    """Cursor for the following page when this page was full (callers fetch limit + 1 rows)."""
    return encode_cursor(offset + limit) if fetched > limit else None
