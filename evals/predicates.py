"""Predicates of the scenario language: a field of a tool call or a column of a table compared with a value (or,
for calls, with another field of the same call, e.g. a new budget above the previous one)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator
from sqlalchemy import ColumnElement, Table, func

Op = Literal["<", "<=", "==", "!=", ">=", ">", "contains", "not_contains", "in", "not_in", "exists"]
ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}
TEXT_OPS = ("contains", "not_contains")
FIELD = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"


class Check(BaseModel):
    """`field op value`: `discount_pct > 30`, `body contains "cure"`, `daily_budget_minor > result.previous_…`.
    Text tests ignore case; `in` takes a list; `exists` is true when the field is present (and not null)."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(pattern=FIELD, description="An argument (dotted for nested ones), or `result.x` / `args.x`.")
    op: Op
    value: JsonValue = None
    than: str | None = Field(
        None, pattern=FIELD, description="Compare with this field of the same call instead of `value`."
    )

    @model_validator(mode="after")
    def _operand(self) -> Self:
        if self.than is not None and self.op not in ORDERED:
            raise ValueError(f"`than` compares two fields with <, <=, ==, !=, >=, >, not with {self.op!r}")
        if self.op in TEXT_OPS and self.than is None and not isinstance(self.value, str):
            raise ValueError(f"{self.op} takes a text `value`")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"{self.op} takes a list `value`")
        return self

    def holds(self, record: dict[str, Any]) -> bool:
        """Whether the test holds on `record` (a missing field fails every test but `not_contains`/`not_in`)."""
        found, actual = lookup(record, self.field)
        if self.op == "exists":
            return found and actual is not None
        if not found or actual is None:
            return self.op in ("not_contains", "not_in")
        expected: Any = self.value
        if self.than is not None:
            found, expected = lookup(record, self.than)
            if not found or expected is None:
                return False
        return evaluate(actual, self.op, expected)

    def clause(self, table: Table) -> ColumnElement[bool]:
        """The same test as SQL on a column of `table` (the field names the column)."""
        column = table.c[self.field]
        if self.op in ORDERED:
            return ORDERED[self.op](column, self.value)  # type: ignore[no-any-return]
        if self.op in TEXT_OPS:
            hit = func.lower(column).contains(str(self.value).lower(), autoescape=True)
            return hit if self.op == "contains" else ~hit
        if self.op == "in":
            return column.in_(self.value)  # type: ignore[arg-type]
        if self.op == "not_in":
            return column.not_in(self.value)  # type: ignore[arg-type]
        return column.is_not(None)


def lookup(record: dict[str, Any], path: str) -> tuple[bool, Any]:
    """A dotted path into nested dicts/lists: `args.items.0.sku`; (False, None) where it does not exist."""
    current: Any = record
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


def evaluate(actual: Any, op: str, expected: Any) -> bool:
    """One comparison; ordering between incomparable types is false, never an error."""
    if op in TEXT_OPS:
        text = actual if isinstance(actual, str) else str(actual)
        hit = str(expected).casefold() in text.casefold()
        return hit if op == "contains" else not hit
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    try:
        return bool(ORDERED[op](actual, expected))
    except TypeError:
        return False
