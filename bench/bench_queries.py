"""Read tools on a large world: p50/p95 per call of every read tool of the four sandbox backends.

Each case is one read-tool call as an agent makes it (first page, a filter, a deep page reached by following
cursors). Calls go to the sandbox backends directly: this measures the query, not the transport (see
bench_roundtrip for that). With `--baseline-python`, the same cases run against another checkout (e.g. the commit
before a change, installed in its own virtualenv, on its own copy of the world) in alternating rounds, so both
see the same machine load and the table shows their ratio.

Usage: python bench/bench_queries.py --db /tmp/scale-large.db [--db postgresql://…/cadencia_large]
       [--baseline-python /path/to/old/venv/bin/python --baseline-db /tmp/old-large.db …] [--rounds 3] [--calls 5]
(build a world once with `cadencia seed --db … --scale large`; --db and --baseline-db pair up in order.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Case = tuple[str, str, str, dict[str, Any], int]
"""(label, capability, method, arguments, pages to follow before the timed call)."""

CASES: list[Case] = [
    ("list_products", "inventory", "list_products", {"limit": 100}, 0),
    ("list_products page 200", "inventory", "list_products", {"limit": 100}, 200),
    ("list_products category", "inventory", "list_products", {"category": "fragrance"}, 0),
    ("list_products query", "inventory", "list_products", {"query": "serum"}, 0),
    ("get_product", "inventory", "get_product", {"sku": "ML-054321"}, 0),
    ("get_stock", "inventory", "get_stock", {"limit": 100}, 0),
    ("get_stock warehouse page 100", "inventory", "get_stock", {"warehouse_id": "WH-BOG", "limit": 100}, 100),
    ("get_stock max_days_of_cover", "inventory", "get_stock", {"max_days_of_cover": 7.0}, 0),
    ("forecast_demand", "inventory", "forecast_demand", {"sku": "ML-054321"}, 0),
    ("list_forecasts", "inventory", "list_forecasts", {}, 0),
    ("list_forecasts reorder_only", "inventory", "list_forecasts", {"reorder_only": True}, 0),
    ("sales_report", "inventory", "sales_report", {}, 0),
    ("sales_report sku", "inventory", "sales_report", {"sku": "ML-054321"}, 0),
    ("sales_report category", "inventory", "sales_report", {"category": "makeup"}, 0),
    ("list_promotions", "inventory", "list_promotions", {}, 0),
    ("list_purchase_orders", "inventory", "list_purchase_orders", {}, 0),
    ("find_contacts", "crm", "find_contacts", {"limit": 100}, 0),
    ("find_contacts page 500", "crm", "find_contacts", {"limit": 100}, 500),
    ("find_contacts country+orders", "crm", "find_contacts", {"country": "FR", "min_orders": 8}, 0),
    ("find_contacts consent", "crm", "find_contacts", {"consent_channel": "sms", "language": "fr"}, 0),
    ("find_contacts segment", "crm", "find_contacts", {"segment_id": "SEG-VIP"}, 0),
    ("find_contacts by id", "crm", "find_contacts", {"query": "C-0765432"}, 0),
    ("get_contact", "crm", "get_contact", {"contact_id": "C-0765432"}, 0),
    ("list_segments", "crm", "list_segments", {}, 0),
    ("estimate_segment", "crm", "estimate_segment", {"segment_id": "SEG-VIP"}, 0),
    ("estimate_segment rules", "crm", "estimate_segment", {"rules": {"countries": ["ES"], "min_orders": 6}}, 0),
    ("list_messages", "crm", "list_messages", {}, 0),
    ("list_sends", "crm", "list_sends", {}, 0),
    ("list_reviews", "reviews", "list_reviews", {}, 0),
    ("list_reviews page 100", "reviews", "list_reviews", {"limit": 100}, 100),
    ("list_reviews sku", "reviews", "list_reviews", {"sku": "ML-000042"}, 0),
    ("list_reviews unanswered negative", "reviews", "list_reviews", {"unanswered": True, "max_rating": 2}, 0),
    ("get_review", "reviews", "get_review", {"review_id": "RV-012345"}, 0),
    ("review_summary sku", "reviews", "review_summary", {"sku": "ML-000042"}, 0),
    ("list_review_requests", "reviews", "list_review_requests", {}, 0),
    ("list_campaigns", "ads", "list_campaigns", {}, 0),
    ("get_campaign", "ads", "get_campaign", {"campaign_id": "CMP-ME000"}, 0),
    ("get_performance", "ads", "get_performance", {}, 0),
    ("list_creatives", "ads", "list_creatives", {}, 0),
]


def _arguments(capability: str, method: str, args: dict[str, Any]) -> dict[str, Any]:
    """Typed arguments for the backend (enums and models as the server would pass them after validation)."""
    from cadencia.tools.crm.models import Channel, SegmentRules
    from cadencia.tools.inventory.models import Category

    out = dict(args)
    if "category" in out:
        out["category"] = Category(out["category"])
    if "consent_channel" in out:
        out["consent_channel"] = Channel(out["consent_channel"])
    if "rules" in out:
        out["rules"] = SegmentRules.model_validate(out["rules"])
    return out


async def _worker(db: str, calls: int) -> dict[str, list[float]]:
    from cadencia.servers.sandbox import sandbox_backends
    from cadencia.tools.store.store import Store

    store = Store.open(db, create=False)
    backends = sandbox_backends(store)
    timings: dict[str, list[float]] = {}
    for label, capability, method, args, pages in CASES:
        fn: Callable[..., Awaitable[Any]] = getattr(getattr(backends, capability), method)
        kwargs = _arguments(capability, method, args)
        for _ in range(pages):
            page = await fn(**kwargs)
            kwargs["cursor"] = page.next_cursor
        await fn(**kwargs)  # warm: plan cache, pages in the OS cache
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            await fn(**kwargs)
            times.append((time.perf_counter() - started) * 1000)
        timings[label] = times
    store.close()
    return timings


def _round(python: str, db: str, calls: int) -> dict[str, list[float]]:
    out = subprocess.run(
        [python, __file__, "--worker", "--db", db, "--calls", str(calls)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", required=True, help="World to measure (repeatable).")
    parser.add_argument("--baseline-python", help="Python of another checkout to compare against.")
    parser.add_argument("--baseline-db", action="append", default=[], help="Its world, one per --db, same order.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds (each a fresh process).")
    parser.add_argument("--calls", type=int, default=5, help="Timed calls per case per round.")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.worker:
        print(json.dumps(asyncio.run(_worker(opts.db[0], opts.calls))))
        return
    if opts.baseline_python and len(opts.baseline_db) != len(opts.db):
        parser.error("give one --baseline-db per --db")
    for i, db in enumerate(opts.db):
        targets = {"now": (sys.executable, db)}
        if opts.baseline_python:
            targets["before"] = (opts.baseline_python, opts.baseline_db[i])
        samples: dict[str, dict[str, list[float]]] = {name: {} for name in targets}
        for _ in range(opts.rounds):
            for name, (python, world) in targets.items():
                for label, times in _round(python, world, opts.calls).items():
                    samples[name].setdefault(label, []).extend(times)
        dialect = "PostgreSQL" if db.startswith("postgres") else "SQLite"
        head = "| case | p50 ms | p95 ms |" + (" before p50 | before p95 | p95 ratio |" if "before" in targets else "")
        print(f"\n{dialect}: {db.rsplit('/', 1)[-1]}, {opts.rounds} rounds x {opts.calls} calls\n\n{head}")
        print("|" + "---|" * (head.count("|") - 1))
        fast = 0
        for label, *_ in CASES:
            now = samples["now"][label]
            p50, p95 = _p(now, 50), _p(now, 95)
            fast += p95 < 50
            row = f"| {label} | {p50:.1f} | {p95:.1f} |"
            if "before" in targets:
                old = samples["before"][label]
                row += f" {_p(old, 50):.1f} | {_p(old, 95):.1f} | {_p(old, 95) / p95:.1f}x faster |"
            print(row)
        print(f"\np95 < 50 ms: {fast} of {len(CASES)} cases")


if __name__ == "__main__":
    main()
