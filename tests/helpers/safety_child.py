"""A second server process for the safety layer's cross-process tests: `python -m helpers.safety_child MODE …`.

`ask STORE ROOT START BODY…`: wait until the wall clock reaches START, then ask for each body's reply (no approval
id) and print the approval ids, one per line. `run STORE ROOT APPROVAL_ID REVIEW_ID BODY KEY WHEN`: use the approval
for that reply and SIGKILL this process `before` or `after` the write (a crash mid-call).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from cadencia.servers.app import full_registry
from cadencia.servers.safety.call import ToolCall
from cadencia.servers.safety.errors import ApprovalRequired
from cadencia.servers.safety.setup import open_safety
from cadencia.servers.sandbox import sandbox_backends
from cadencia.tools.policy.server import default_server_policy
from cadencia.tools.store.store import Store

TOOL = "reviews_reply_to_review"
SUBJECT = "local"


def reply(review_id: str, body: str, *, approval_id: str | None = None, key: str | None = None) -> ToolCall:
    """The reply call both the test and this child build (so they bind the same request hash)."""
    args: dict[str, object] = {"review_id": review_id, "body": body}
    if key is not None:
        args["idempotency_key"] = key
    return ToolCall(
        tool=TOOL,
        reversibility=full_registry()[TOOL],
        args=args,  # type: ignore[arg-type]
        subject=SUBJECT,
        approval_id=approval_id,
        defaults={"claim_ids": []},
    )


async def ask(store_path: str, root: Path, start: float, review_id: str, bodies: list[str]) -> None:
    store = Store.open(store_path, create=False)
    backends = sandbox_backends(store)
    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        time.sleep(max(0.0, start - time.time()))
        for body in bodies:
            try:
                await safety.call(reply(review_id, body), backends, _never)
            except ApprovalRequired as exc:
                print(exc.approval_id, flush=True)
    store.close()


async def _never() -> None:
    raise AssertionError("an unapproved call ran")


async def run(store_path: str, root: Path, approval_id: str, review_id: str, body: str, key: str, when: str) -> None:
    store = Store.open(store_path, create=False)
    backends = sandbox_backends(store)

    async def execute() -> object:
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = await backends.reviews.reply_to_review(review_id=review_id, body=body, idempotency_key=key)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    with open_safety(default_server_policy(), root=root, registry=full_registry()) as safety:
        await safety.call(reply(review_id, body, approval_id=approval_id, key=key), backends, execute)


if __name__ == "__main__":
    mode, store_path, root = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if mode == "ask":
        asyncio.run(ask(store_path, root, float(sys.argv[4]), sys.argv[5], sys.argv[6:]))
    else:
        asyncio.run(run(store_path, root, *sys.argv[4:9]))
