"""`cadencia backends check`, `cadencia sync` and `cadencia shadow report`: connect, mirror and review vendors."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from cadencia.servers.cli import DbOption
from cadencia.servers.paths import default_db
from cadencia.servers.sandbox import open_store
from cadencia.tools.ads.vendors.combined import CombinedAds
from cadencia.tools.ads.vendors.common import VendorAds
from cadencia.tools.ads.vendors.google_ads import GoogleAds
from cadencia.tools.ads.vendors.meta import MetaAds
from cadencia.tools.crm.vendors.klaviyo import KlaviyoCrm
from cadencia.tools.errors import CadenciaError
from cadencia.tools.inventory.vendors.shopify import ShopifyInventory
from cadencia.tools.reviews.vendors.google_business import GoogleBusinessReviews
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.config import BackendsConfig, load_backends
from cadencia.tools.vendors.factory import Builder
from cadencia.tools.vendors.mirror import watermark
from cadencia.tools.vendors.tables import vendor_proposals

backends_app = typer.Typer(
    help="Vendor backends: validate backends.yaml and test each connection.", no_args_is_help=True
)
shadow_app = typer.Typer(help="Shadow mode: what Cadencia would have done.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="backends.yaml", exists=True, dir_okay=False)]


def _load(path: Path) -> BackendsConfig:
    try:
        return load_backends(path)
    except CadenciaError as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from None


async def _probe(backend: object) -> str:
    """One read-only call that proves the connection and the credentials."""
    if isinstance(backend, ShopifyInventory):
        return f"shop currency {await backend.currency()}"
    if isinstance(backend, GoogleAds):
        currency = await backend.checked_currency()
        return f"{(await backend.list_campaigns(limit=1)).total} campaign(s), currency {currency}"
    if isinstance(backend, MetaAds | CombinedAds):
        return f"{len((await backend.list_campaigns(limit=1)).items)} campaign(s) readable"
    if isinstance(backend, KlaviyoCrm):
        return f"{len((await backend.list_segments(limit=100)).items)} segment(s)/list(s) readable"
    if isinstance(backend, GoogleBusinessReviews):
        return f"{(await backend.list_reviews(limit=1)).total} review(s) on the location"
    return "configured"


async def _check(config: BackendsConfig, store: Store) -> list[tuple[str, str, str, bool]]:
    rows: list[tuple[str, str, str, bool]] = []
    async with httpx.AsyncClient() as client:
        try:
            built = Builder(config, client=client, store=store, shadow=True).build()
        except CadenciaError as exc:
            return [("(config)", "-", str(exc), False)]
        for capability, name in (built.names or {}).items():
            backend = getattr(built, capability)
            if backend is None:
                rows.append((capability, name, "sandbox (local store)", True))
                continue
            try:
                rows.append((capability, name, await _probe(backend), True))
            except CadenciaError as exc:
                rows.append((capability, name, str(exc), False))
    return rows


@backends_app.command("check")
def check(file: FileArg, db: DbOption = None) -> None:
    """Validate FILE and make one read-only call per vendor backend (nothing is written to any vendor).

    Example: cadencia backends check examples/backends.yaml
    """
    config = _load(file)
    store = open_store(db or default_db())
    try:
        rows = asyncio.run(_check(config, store))
    finally:
        store.close()
    table = Table("capability", "backend", "result", "ok")
    for capability, name, detail, ok in rows:
        table.add_row(capability, name, detail, "yes" if ok else "NO")
    out.print(table)
    if not all(ok for *_, ok in rows):
        raise typer.Exit(1)


def ads_vendors(ads: object) -> list[VendorAds]:
    if isinstance(ads, CombinedAds):
        return ads.backends
    return [ads] if isinstance(ads, VendorAds) else []


async def _sync(config: BackendsConfig, store: Store, days: int) -> list[tuple[str, int]]:
    done: list[tuple[str, int]] = []
    async with httpx.AsyncClient() as client:
        built = Builder(config, client=client, store=store).build()
        if isinstance(built.inventory, ShopifyInventory):
            done.append(("shopify orders", await built.inventory.sync_orders()))
        for ads in ads_vendors(built.ads):
            today = datetime.now(UTC).date()
            last = watermark(ads.ledger, "insights")
            since = date.fromisoformat(last) - timedelta(days=3) if last else today - timedelta(days=days)
            done.append((f"{ads.ledger.backend} insights", await ads.sync_insights(since=since, until=today)))
    return done


def sync(
    backends: Annotated[Path, typer.Option("--backends", help="backends.yaml", exists=True, dir_okay=False)],
    db: DbOption = None,
    days: Annotated[int, typer.Option(help="History to fetch on the first sync, in days.")] = 90,
) -> None:
    """Mirror vendor history the analytics need (orders, daily insights), incrementally from the last sync.

    Example: cadencia sync --backends backends.yaml
    """
    config = _load(backends)
    store = open_store(db or default_db())
    try:
        for stream, count in asyncio.run(_sync(config, store, days)):
            out.print(f"{stream}: {count} rows mirrored")
    except CadenciaError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    finally:
        store.close()


@shadow_app.command("report")
def report(
    db: DbOption = None,
    day: Annotated[str | None, typer.Option(help="Only this UTC day (YYYY-MM-DD).")] = None,
) -> None:
    """Per day: every write shadow mode held back, the verdict of our checks and the expected effect.

    Example: cadencia shadow report --day 2026-03-02
    """
    store = open_store(db or default_db())
    t = vendor_proposals
    query = select(t).order_by(t.c.day, t.c.seq)
    if day:
        query = query.where(t.c.day == day)
    with store.reading() as conn:
        rows = list(conn.execute(query).mappings())
    store.close()
    if not rows:
        out.print("no shadow proposals recorded")
        return
    for current in sorted({r["day"] for r in rows}):
        table = Table("backend", "tool", "verdict", "expected effect", "detail", "validated by", title=current)
        for r in (r for r in rows if r["day"] == current):
            table.add_row(r["backend"], r["tool"], r["verdict"], r["effect"], r["detail"], r["validated_by"])
        would = sum(r["verdict"] == "would_apply" for r in rows if r["day"] == current)
        out.print(table)
        out.print(f"{current}: {would} would apply, {sum(r['day'] == current for r in rows) - would} refused")
