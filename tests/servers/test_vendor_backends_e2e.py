"""`cadencia serve all --backends … --shadow` against a local fake Shopify on 127.0.0.1, over stdio (the Done-when)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from vendor_fakes.asgi import serve
from vendor_fakes.shopify import TOKEN, FakeShopify

from cadencia.tools.store.store import Store
from cadencia.tools.vendors.ledger import VendorLedger

pytestmark = pytest.mark.slow


def write_config(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "backends.yaml"
    path.write_text(
        "inventory:\n  backend: shopify\n  shop_url: https://lysa.myshopify.com\n"
        f"  base_url: {base_url}\n  access_token_env: SHOPIFY_ACCESS_TOKEN\n",
        encoding="utf-8",
    )
    return path


async def test_serve_all_in_shadow_reads_the_vendor_and_only_records_writes(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.db"
    shutil.copyfile(seeded_sqlite_template, db)
    fake = FakeShopify()
    with serve(fake.handle) as base_url:
        config = write_config(tmp_path, base_url)
        env = {**os.environ, "SHOPIFY_ACCESS_TOKEN": TOKEN}
        args = ["-m", "cadencia", "serve", "all", "--db", str(db), "--backends", str(config), "--shadow"]
        params = StdioServerParameters(command=sys.executable, args=args, env=env)
        with anyio.fail_after(60):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                names = {t.name for t in (await session.list_tools()).tools}
                assert {"inventory_get_product", "inventory_adjust_stock", "ads_list_campaigns"} <= names
                product = await session.call_tool("inventory_get_product", {"sku": "ML-000001"})
                assert not product.isError and product.structuredContent
                assert product.structuredContent["on_hand"] == 133
                adjusted = await session.call_tool(
                    "inventory_adjust_stock",
                    {"sku": "ML-000001", "warehouse_id": "11", "delta": -3, "expected_on_hand": 133, "reason": "count"},
                )
                assert not adjusted.isError, adjusted.content
                po = await session.call_tool(
                    "inventory_create_purchase_order", {"sku": "ML-000001", "warehouse_id": "11", "quantity": 5}
                )
                assert po.isError and "not supported by Shopify" in po.content[0].text  # type: ignore[union-attr]
        check = subprocess.run(
            [sys.executable, "-m", "cadencia", "backends", "check", str(config), "--db", str(db)],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": "200"},
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert "shop currency EUR" in check.stdout and TOKEN not in check.stdout + check.stderr
    assert fake.mutations == []
    store = Store.open(db)
    proposals = VendorLedger(store, "shopify").proposals()
    store.close()
    assert [(p.tool, p.verdict) for p in proposals] == [("adjust_stock", "would_apply")]
    report = subprocess.run(
        [sys.executable, "-m", "cadencia", "shadow", "report", "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert "adjust_stock" in report.stdout and "133 → 130" in report.stdout
