"""Checks declared by name with `@check(...)`, collected in an immutable `CheckRegistry`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic

from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.context import CheckContext, P

CheckFn = Callable[[ProposedAction, CheckContext[P]], Awaitable[Verdict | None]]
"""A check: None means not applicable or compliant."""


@dataclass(frozen=True)
class Check(Generic[P]):
    """A named check, its parameter model, whether it can clamp, and the tools it exists to judge.

    `guards` lets the engine fail closed: when a server no longer publishes one of them (renamed?), an action on
    another tool of the same capability may be the renamed one, and the check, which cannot tell, refuses it.
    """

    name: str
    params: type[P]
    fn: CheckFn[P]
    clamps: bool = False
    guards: frozenset[str] = field(default_factory=frozenset)

    @property
    def description(self) -> str:
        doc = (self.fn.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    async def __call__(self, action: ProposedAction, ctx: CheckContext[P]) -> Verdict | None:
        return await self.fn(action, ctx)


def check(
    name: str, *, params: type[P], clamps: bool = False, guards: Iterable[str] = ()
) -> Callable[[CheckFn[P]], Check[P]]:
    """Declare a check under `name` with its parameter model; add it to a `CheckRegistry` to use it in policies.

    `guards`: the tool names (from `cadencia.tools.names`) the check exists to judge, if it judges specific tools.
    """

    def decorator(fn: CheckFn[P]) -> Check[P]:
        return Check(name=name, params=params, fn=fn, clamps=clamps, guards=frozenset(guards))

    return decorator


class CheckRegistry:
    """Checks a policy may name; immutable, extended by building a new one with `with_checks`."""

    def __init__(self, checks: Iterable[Check[Any]]) -> None:
        by_name: dict[str, Check[Any]] = {}
        for item in checks:
            if item.name in by_name:
                raise ValueError(f"check {item.name!r} registered twice")
            by_name[item.name] = item
        self._checks = by_name

    def get(self, name: str) -> Check[Any] | None:
        return self._checks.get(name)

    def names(self) -> list[str]:
        return sorted(self._checks)

    def with_checks(self, *checks: Check[Any]) -> CheckRegistry:
        return CheckRegistry([*self._checks.values(), *checks])
