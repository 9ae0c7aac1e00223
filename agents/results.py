"""Validating what a tool returned against the small view the agent reads: schema drift fails once, here, clearly."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

V = TypeVar("V", bound=BaseModel)


class View(BaseModel):
    """Base of every result view: only the fields the agent reads, anything else the server adds is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ToolResultError(ValueError):
    """A tool's result lacks a field the agent reads, or has it in the wrong type; names the tool and the field."""

    def __init__(self, tool: str, field: str, problem: str) -> None:
        self.tool = tool
        self.field = field
        super().__init__(f"{tool} returned a result whose field {field!r} does not fit what Cadencia reads: {problem}")


def location(loc: tuple[int | str, ...], *, prefix: str = "") -> str:
    """`("items", 3, "price_minor")` → `items[3].price_minor`."""
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(result)"


def parse_result(tool: str, payload: JsonValue, view: type[V], *, at: str = "") -> V:
    """`payload` as `view`; raises `ToolResultError` naming the tool and the first field that does not fit."""
    try:
        return view.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ToolResultError(tool, location(tuple(first["loc"]), prefix=at), first["msg"]) from exc
