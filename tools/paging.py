"""Cursor paging for list tools, so a model never receives an unbounded list.

SQL-backed lists page by keyset: the cursor holds the sort key of the last row returned and the next page starts
right after it, so page 5,000 costs what page 1 costs (an index range scan) and rows inserted meanwhile never shift
a page. Offset cursors remain for in-memory vendor fakes and lists that are small by construction.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, or_

from cadencia.tools.errors import InvalidArgument

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 512
"""Longer than any cursor this server issues: a longer one is refused before it is decoded."""
MAX_OFFSET = 2**31 - 1
"""Beyond any list's length, and within every database's OFFSET range."""
INT64 = range(-(2**63), 2**63)

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Items per page (1-{MAX_LIMIT}).")]
Cursor = Annotated[str | None, Field(description="Opaque cursor from a previous page's next_cursor; omit for page 1.")]

_NOT_OURS = "cursor is not one this server issued; omit it to start from page 1"

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of results; pass `next_cursor` back to get the next one."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="Cursor for the next page; null on the last page.")
    total: int | None = Field(default=None, description="Total matching items, when cheap to count.")


def _pack(kind: str, payload: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{payload}".encode()).decode()


def _unpack(cursor: str) -> tuple[str, str]:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidArgument(
            f"cursor is longer than any this server issues ({MAX_CURSOR_CHARS} characters); "
            "omit it to start from page 1",
            field="cursor",
        )
    try:
        kind, _, payload = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().partition(":")
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidArgument(_NOT_OURS, field="cursor") from exc
    return kind, payload


def encode_cursor(offset: int) -> str:
    return _pack("o", str(offset))


def decode_cursor(cursor: str | None) -> int:
    """Offset encoded in a cursor; a malformed cursor is a clear error, not page 1."""
    if not cursor:
        return 0
    kind, value = _unpack(cursor)
    try:
        offset = int(value)
    except ValueError as exc:
        raise InvalidArgument(_NOT_OURS, field="cursor") from exc
    if kind != "o" or not 0 <= offset <= MAX_OFFSET:
        raise InvalidArgument(_NOT_OURS, field="cursor")
    return offset


def next_cursor(offset: int, limit: int, fetched: int) -> str | None:
    """Cursor for the following page when this page was full (callers fetch limit + 1 rows)."""
    return encode_cursor(offset + limit) if fetched > limit else None


Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Keyset:
    """A total order over rows (unique key columns, all ascending or all descending) and cursors into it."""

    columns: tuple[ColumnElement[Any], ...]
    descending: bool = False

    def order_by(self) -> list[ColumnElement[Any]]:
        return [c.desc() for c in self.columns] if self.descending else list(self.columns)

    def decode(self, cursor: str | None) -> Key | None:
        """The key the page starts after; None for page 1. A cursor of another list or shape is a field error."""
        if not cursor:
            return None
        kind, payload = _unpack(cursor)
        try:
            key = json.loads(payload) if kind == "k" else None
        except ValueError as exc:
            raise InvalidArgument(_NOT_OURS, field="cursor") from exc
        if not isinstance(key, list) or len(key) != len(self.columns):
            raise InvalidArgument(_NOT_OURS, field="cursor")
        if not all(_fits(column, value) for column, value in zip(self.columns, key, strict=True)):
            raise InvalidArgument(_NOT_OURS, field="cursor")
        return tuple(key)

    def after(self, key: Key | None) -> ColumnElement[bool] | None:
        """Rows strictly after `key` in this order (expanded, so every database can use the index)."""
        if key is None:
            return None
        clause: ColumnElement[bool] | None = None
        for column, value in reversed(list(zip(self.columns, key, strict=True))):
            beyond = column < value if self.descending else column > value
            clause = beyond if clause is None else or_(beyond, and_(column == value, clause))
        return clause

    def encode(self, key: Sequence[str | int]) -> str:
        return _pack("k", json.dumps(list(key), ensure_ascii=False, separators=(",", ":")))

    def key_of(self, row: Mapping[str, Any]) -> Key:
        return tuple(row[c.key] for c in self.columns)  # type: ignore[attr-defined]

    def next(self, rows: Sequence[Mapping[str, Any]], limit: int) -> str | None:
        """Cursor after the last row of this page when there is a following page (callers fetch limit + 1 rows)."""
        return self.encode(self.key_of(rows[limit - 1])) if len(rows) > limit else None


def _fits(column: ColumnElement[Any], value: Any) -> bool:
    """Whether a decoded key value is one the column could hold, so a forged cursor never reaches SQL as an error."""
    if type(value) is int:
        expected: type = int
        storable = value in INT64
    elif type(value) is str:
        expected, storable = str, "\x00" not in value and _encodable(value)
    else:
        return False
    try:
        return storable and column.type.python_type is expected
    except NotImplementedError:
        return storable


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
