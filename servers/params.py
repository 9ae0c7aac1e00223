"""Parameter types shared by every server's tools, described for the model."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from cadencia.tools.paging import DEFAULT_LIMIT, MAX_LIMIT

ID_MAX = 200
"""Longest object id a tool accepts: the sandbox's are short, vendors' are not (Google review ids, `gid://` ids)."""

IdempotencyKey = Annotated[str | None, Field(default=None, min_length=8, max_length=200)]
"""A retried call with the same key returns the first result without acting twice (the server instructions say so
once; the name says it on every mutating tool, where a description would repeat it 29 times)."""
Cursor = Annotated[str | None, Field(default=None)]
"""The previous page's next_cursor; omitted for page 1."""
Limit = Annotated[int, Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)]
UndoToken = Annotated[str, Field(min_length=1, max_length=80)]
"""The undo_token a reversible call returned (the server instructions say so once for every undo tool)."""
Sku = Annotated[str, Field(min_length=1, max_length=32)]

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
"""A calendar day (YYYY-MM-DD) in a range every backend's date arithmetic can handle."""
