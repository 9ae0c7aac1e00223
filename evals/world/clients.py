"""Another client of the servers: a scripted call to a mutating tool through the sandbox backends' own code.

The call is journaled and checked like any other (caps, expected values, undo tokens), so an agent's stale write or
undo afterwards meets a real conflict. Its idempotency key starts with `CLIENT_KEY_PREFIX`, which is how the
evidence tells the other client's calls from the agent's.
"""

from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from pydantic import BaseModel

from cadencia.evals.world.events import AnotherClient
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.crm.sandbox import SandboxCrm
from cadencia.tools.errors import CadenciaError, InvalidArgument
from cadencia.tools.inventory.sandbox import SandboxInventory
from cadencia.tools.limits import Limits
from cadencia.tools.reviews.sandbox import SandboxReviews
from cadencia.tools.sandbox import SandboxCapability
from cadencia.tools.store.store import Store

CLIENT_KEY_PREFIX = "another-client:"
BACKENDS: tuple[type[SandboxCapability], ...] = (SandboxAds, SandboxInventory, SandboxCrm, SandboxReviews)


class ClientOutcome(BaseModel):
    """What the other client's call did: its result, or the server's refusal."""

    tool: str
    ok: bool
    detail: str


def _method(store: Store, limits: Limits, tool: str) -> Any:
    for backend in BACKENDS:
        method = getattr(backend, tool, None)
        if method is not None and inspect.iscoroutinefunction(method) and not tool.startswith("_"):
            return getattr(backend(store, limits), tool)
    raise InvalidArgument(f"another_client: no sandbox tool named {tool!r}", field="tool")


def _typed(method: Any, args: dict[str, Any]) -> dict[str, Any]:
    """ISO dates in scenario data become dates where the tool takes one (as the MCP layer's input model does)."""
    params = inspect.signature(method).parameters
    return {
        name: date.fromisoformat(value)
        if isinstance(value, str) and name in params and "date" in str(params[name].annotation)
        else value
        for name, value in args.items()
    }


def call_as_client(store: Store, event: AnotherClient, limits: Limits, *, key: str) -> ClientOutcome:
    """Run the other client's call to completion (on its own event loop, in a worker thread, so it works from inside
    the agent's loop as well); a refusal by the server is an outcome, not an error."""
    method = _method(store, limits, event.tool)
    args = {**_typed(method, event.args), "idempotency_key": f"{CLIENT_KEY_PREFIX}{key}"}
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            result = pool.submit(asyncio.run, method(**args)).result()
        except CadenciaError as exc:
            return ClientOutcome(tool=event.tool, ok=False, detail=str(exc))
        except TypeError as exc:
            raise InvalidArgument(f"another_client {event.tool}: {exc}", field="args") from exc
    return ClientOutcome(tool=event.tool, ok=True, detail=result.model_dump_json())
