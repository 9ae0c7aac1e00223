"""Load YAML into a pydantic model, with one error that names the source and the first bad field."""

from __future__ import annotations

from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def first_problem(exc: ValidationError) -> tuple[str, str]:
    """(dotted field path, message) of the first validation error."""
    first = exc.errors(include_url=False)[0]
    return ".".join(str(p) for p in first["loc"]) or "(root)", first["msg"]


def all_problems(exc: ValidationError) -> str:
    """Every validation error as `field: rule`, joined with `; ` (a file is fixed in one go, not one error a run)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors(include_url=False)
    )


def load_yaml_model(model: type[M], text: str, *, source: str, error: type[Exception] = ValueError) -> M:
    """Parse and validate; raises `error("<source>: <field>: <rule>; …")` naming every problem, never a silently
    defaulted field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise error(f"{source}: {all_problems(exc)}") from exc
