"""Tool arguments checked as the JSON they arrived as, so loose input is refused instead of guessed at.

Unknown names are refused with the closest known one suggested (`idempotencyKey` → `idempotency_key`), mutating tools
get JSON's own types with no coercion (`"7"` and `true` are not integers, `"true"` is not a boolean), text must be
storable by every backend (no NUL, no lone surrogates: SQLite would keep what PostgreSQL refuses; integers fit 64
bits), and nesting is bounded. Each problem is a field error, so nothing reaches a backend.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError, to_json

MAX_DEPTH = 32
"""Deepest nesting of arrays/objects an argument may have; no tool takes more than three levels."""

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


def strict_arguments(model: type[M], *, strict: bool) -> type[M]:
    """A subclass of a tool's argument model that refuses unknown names (and, when `strict`, coercion)."""

    class Arguments(model):  # type: ignore[valid-type,misc]
        model_config = ConfigDict(extra="forbid")
        strict_types: ClassVar[bool] = strict

        @classmethod
        def model_validate(cls, obj: Any, **_: Any) -> Self:
            """Validate `obj` as JSON (what a client sent), strictly on mutating tools; problems are field errors."""
            found = list(_unstorable(obj, ()))
            if found:
                raise ValidationError.from_exception_data(cls.__name__, found)
            try:
                return cls.model_validate_json(to_json(obj), strict=cls.strict_types)
            except ValidationError as exc:
                raise _suggesting(cls, exc) from None

    Arguments.__name__ = Arguments.__qualname__ = model.__name__
    return Arguments


def _unstorable(value: Any, loc: Loc) -> Iterator[InitErrorDetails]:
    """Text no backend should store and nesting past MAX_DEPTH, found without recursion (depth is the attack)."""
    stack: list[tuple[Any, Loc]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if len(where) > MAX_DEPTH:
            yield _error("too_deep", f"nested more than {MAX_DEPTH} levels deep", where[:MAX_DEPTH], "…")
            continue
        if isinstance(item, int) and not isinstance(item, bool) and not INT64_MIN <= item <= INT64_MAX:
            yield _error("int64", "must fit a 64-bit integer (no backend stores a larger one)", where, item)
        elif isinstance(item, str):
            if "\x00" in item:
                yield _error("text_nul", "must not contain NUL (\\x00) characters", where, item)
            elif not item.isascii() and not _encodable(item):
                yield _error("text_unicode", "must be valid Unicode text (no lone surrogates)", where, item)
        elif isinstance(item, Mapping):
            stack.extend((v, (*where, str(k))) for k, v in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((v, (*where, i)) for i, v in enumerate(item))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _error(kind: str, message: str, loc: Loc, given: Any) -> InitErrorDetails:
    return {"type": PydanticCustomError(kind, message), "loc": loc, "input": given}


def _suggesting(model: type[BaseModel], exc: ValidationError) -> ValidationError:
    """The same errors, with each unknown name's closest known name (at its level) in the message."""
    errors = exc.errors(include_url=False)
    if not any(err["type"] == "extra_forbidden" for err in errors):
        return exc
    details: list[InitErrorDetails] = []
    for err in errors:
        if err["type"] == "extra_forbidden":
            kind, message = "unknown_argument", _unknown(model, err["loc"])
        else:
            kind, message = err["type"], err["msg"].replace("{", "(").replace("}", ")")
        details.append(_error(kind, message, err["loc"], err.get("input")))
    return ValidationError.from_exception_data(exc.title, details)


def _unknown(model: type[BaseModel], loc: Loc) -> str:
    known = _known_names(model, loc[:-1])
    close = _closest(str(loc[-1]), known)
    hint = f"did you mean {close!r}? " if close else ""
    return f"unknown argument; {hint}known: {', '.join(known)}"


def _closest(name: str, known: list[str]) -> str | None:
    """The known name nearest to `name`, comparing without case, `_` and `-` (`idempotencyKey` → `idempotency_key`)."""
    folded = {k.replace("_", "").lower(): k for k in known}
    match = difflib.get_close_matches(name.replace("_", "").replace("-", "").lower(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def _known_names(model: type[BaseModel], path: Loc) -> list[str]:
    """Field names of the model found at `path` below `model` (following nested models and lists of them)."""
    current: Any = model
    for step in path:
        if isinstance(step, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(step)
        current = _model_in(field.annotation) if field is not None else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


class _RegisteredTool(Protocol):
    """The SDK's registered tool, as far as argument checking needs it (FastMCP 1.x and MCPServer 2.x alike)."""

    fn_metadata: Any
    parameters: dict[str, Any]


def tighten(tool: _RegisteredTool | None, *, strict: bool) -> None:
    """Make a registered tool check its arguments with `strict_arguments` (strict types when it mutates).

    The published input schema is regenerated from the new model, so it says `additionalProperties: false`.
    """
    assert tool is not None
    tool.fn_metadata.arg_model = strict_arguments(tool.fn_metadata.arg_model, strict=strict)
    tool.parameters = tool.fn_metadata.arg_model.model_json_schema(by_alias=True)
