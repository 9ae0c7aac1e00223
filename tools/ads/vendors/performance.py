"""Performance of vendor campaigns from the local insights mirror: the same figures, marginal ROAS and scope
aggregation as the sandbox (`tools/ads/reports.py`), over daily rows `cadencia sync` copied from the platform.

Vendors report no holdout here, so `lift` is null; the window ends at the last mirrored day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from cadencia.tools.ads import marginal as mr
from cadencia.tools.ads.measure import Totals
from cadencia.tools.ads.models import Campaign, PerformanceReport
from cadencia.tools.ads.reports import Window, measure, resolve_window, scope_totals
from cadencia.tools.errors import VendorError
from cadencia.tools.paging import decode_cursor, next_cursor
from cadencia.tools.vendors.ledger import VendorLedger
from cadencia.tools.vendors.mirror import watermark
from cadencia.tools.vendors.tables import vendor_insights_daily


@dataclass
class Scope:
    """Campaigns of one vendor backend and their mirrored daily rows (keyed by the campaign ids shown to callers)."""

    campaigns: list[Campaign]
    history: dict[str, dict[date, Totals]]


def synced_until(ledger: VendorLedger) -> date:
    """The last day mirrored; refused until a first `cadencia sync`."""
    mark = watermark(ledger, "insights")
    if mark is None:
        raise VendorError(
            f"no {ledger.backend} insights are mirrored yet; run `cadencia sync` first", rule="not_synced"
        )
    return date.fromisoformat(mark[:10])


def window_for(ledgers: list[VendorLedger], today: date, days: int, since: date | None, until: date | None) -> Window:
    """The report window, ending no later than the last day every mirror has synced."""
    last = min(synced_until(ledger) for ledger in ledgers)
    return resolve_window(min(today, last + timedelta(days=1)), days, since, until)


def mirrored(ledger: VendorLedger, ids: dict[str, str], window: Window) -> dict[str, dict[date, Totals]]:
    """Daily rows of the mirrored campaigns `ids` (vendor id → shown id), warm-up days included."""
    t = vendor_insights_daily
    out: dict[str, dict[date, Totals]] = defaultdict(dict)
    if not ids:
        return out
    start = window.since - timedelta(days=mr.WARMUP_DAYS)
    with ledger.store.reading() as conn:
        rows = conn.execute(
            select(t).where(
                t.c.backend == ledger.backend,
                t.c.campaign_id.in_(list(ids)),
                t.c.day >= start.isoformat(),
                t.c.day <= window.until.isoformat(),
            )
        ).mappings()
        for row in rows:
            out[ids[row["campaign_id"]]][date.fromisoformat(row["day"])] = Totals(
                spend_minor=row["spend_minor"],
                impressions=row["impressions"],
                clicks=row["clicks"],
                conversions=row["conversions"],
                revenue_minor=row["revenue_minor"],
                days=1,
            )
    return out


def report(
    scopes: list[Scope], window: Window, *, label: str, single: bool, cursor: str | None, limit: int
) -> PerformanceReport:
    """One report over every campaign of `scopes`, paged like the sandbox's."""
    offset = decode_cursor(cursor)
    selected = sorted((c for s in scopes for c in s.campaigns), key=lambda c: c.id)
    history = {k: v for s in scopes for k, v in s.history.items()}
    measured = [measure(c, history.get(c.id, {}), window) for c in selected]
    marginal = measured[0].estimate.marginal if single else mr.aggregate([m.estimate for m in measured])
    return PerformanceReport(
        scope=label,
        since=window.since,
        until=window.until,
        totals=scope_totals(measured, {c.currency for c in selected}),
        marginal=marginal,
        campaigns=[m.performance for m in measured[offset : offset + limit]],
        next_cursor=next_cursor(offset, limit, len(measured) - offset),
    )
