"""Resource templates (`cadencia://…`): what a person or an assistant reads for context, without a tool call.

Each template reads through the same backends and safety layer as the tools, returns compact JSON, and refuses a bad
or unknown parameter with an INVALID_PARAMS error naming it. Templates (not fixed resources) because a read needs
the server's lifespan context, which the SDK hands only to templates.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from cadencia.servers.context import backends, require_scope, server_context
from cadencia.tools.audit.errors import RecordNotFound
from cadencia.tools.errors import CadenciaError

JSON = "application/json"
PAGE = 100
MAX_CLAIMS = 1_000
REPORT_RECENT = 50
"""A run report lists at most this many of its latest records (the counts cover all of them)."""


def _json(value: Any) -> str:
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else to_jsonable_python(value)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _refuse(message: str, field: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=message, data={"field": field})


async def claims(ctx: Context, category: str = "") -> str:
    """The approved claims library: the only promises ads and replies may make, cited by id (category optional)."""
    items: list[Any] = []
    cursor = None
    try:
        while len(items) < MAX_CLAIMS:
            page = await backends(ctx).ads.list_claims(
                approved_only=True, category=category or None, cursor=cursor, limit=PAGE
            )
            items += page.items
            cursor = page.next_cursor
            if not cursor:
                break
    except CadenciaError as exc:
        raise _refuse(str(exc), "category") from None
    return _json({"category": category or None, "items": items, "complete": cursor is None})


async def policy(ctx: Context, name: str) -> str:
    """Server limits and policy: `budget` (budget rules and headroom) or `server` (the rules every call passes)."""
    if name == "budget":
        return _json(await backends(ctx).ads.get_budget_limits())
    if name == "server":
        safety = server_context(ctx).safety
        if safety is None:
            raise _refuse("this server runs without a server policy (serve --policy off)", "name")
        return _json(safety.policy)
    raise _refuse(f"no policy {name!r}; read cadencia://policy/budget or cadencia://policy/server", "name")


async def forecast(ctx: Context, sku: str) -> str:
    """One SKU's demand forecast: days of cover, reorder point and a suggested order quantity (14 days, 95 %)."""
    try:
        return _json(await backends(ctx).inventory.forecast_demand(sku=sku, horizon_days=14, service_level=0.95))
    except CadenciaError as exc:
        raise _refuse(str(exc), "sku") from None


async def campaign_performance(ctx: Context, campaign_id: str) -> str:
    """One campaign's last 28 days: spend, revenue, ROAS, marginal ROAS and holdout lift."""
    try:
        report = await backends(ctx).ads.get_performance(
            campaign_id=campaign_id, platform=None, days=28, since=None, until=None, cursor=None, limit=PAGE
        )
    except CadenciaError as exc:
        raise _refuse(str(exc), "campaign_id") from None
    return _json(report)


async def pending_approvals(ctx: Context, tool: str = "") -> str:
    """Server approvals waiting for a person (the approve scope), with what each call would do (tool optional)."""
    safety = server_context(ctx).safety
    if safety is None:
        raise _refuse("this server runs without a server policy, so it keeps no approvals", "uri")
    try:
        require_scope(ctx, "approve")
    except CadenciaError as exc:
        raise _refuse(str(exc), "uri") from None
    records = [
        r for r in safety.approvals.pending(at=datetime.now(UTC)) if r.run_id is None and (not tool or r.tool == tool)
    ]
    fields = ("approval_id", "tool", "subject", "request", "expires_at")
    return _json({"items": [r.model_dump(mode="json", include=set(fields)) for r in records]})


async def run_report(ctx: Context, run_id: str) -> str:
    """A run as the audit log has it: records by kind, tools called, who acted, and its latest records."""
    log = _audit(ctx)
    records = await anyio.to_thread.run_sync(lambda: log.records(run_id=run_id))
    if not records:
        raise _refuse(f"no audit records for run {run_id!r}", "run_id")
    tools = Counter(str(r.payload.get("tool")) for r in records if r.payload.get("tool"))
    latest = [
        {"seq": r.seq, "at": r.recorded_at, "kind": r.kind.value, "actor": r.actor, "tool": r.payload.get("tool")}
        for r in records[-REPORT_RECENT:]
    ]
    return _json(
        {
            "run_id": run_id,
            "records": len(records),
            "first_at": records[0].recorded_at,
            "last_at": records[-1].recorded_at,
            "by_kind": dict(Counter(r.kind.value for r in records)),
            "tools": dict(tools),
            "actors": sorted({r.actor for r in records}),
            "latest": latest,
        }
    )


async def audit_proof(ctx: Context, seq: int) -> str:
    """An inclusion proof of audit record `seq` in the whole log: check it against a signed checkpoint's root."""
    log = _audit(ctx)
    try:
        return _json(await anyio.to_thread.run_sync(log.prove, seq))
    except RecordNotFound as exc:
        raise _refuse(str(exc), "seq") from None


def _audit(ctx: Context) -> Any:
    safety = server_context(ctx).safety
    if safety is None or safety.audit is None:
        raise _refuse("this server keeps no audit log (serve --policy off)", "uri")
    return safety.audit


TEMPLATES = [
    ("cadencia://claims{?category}", claims, "Approved claims"),
    ("cadencia://policy/{name}", policy, "Server limits and policy"),
    ("cadencia://forecast/{sku}", forecast, "Demand forecast of a SKU"),
    ("cadencia://campaigns/{campaign_id}/performance", campaign_performance, "Campaign performance"),
    ("cadencia://approvals/pending{?tool}", pending_approvals, "Pending approvals"),
    ("cadencia://runs/{run_id}/report", run_report, "Run report"),
    ("cadencia://audit/{seq}/proof", audit_proof, "Audit inclusion proof"),
]


def add_resources(server: MCPServer[Any]) -> None:
    """Register every template on `server` (the SDK's public decorator; it checks URI and parameters agree)."""
    for uri, fn, title in TEMPLATES:
        server.resource(uri, name=fn.__name__, title=title, mime_type=JSON)(fn)
