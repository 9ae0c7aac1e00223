"""`cadencia serve all --backends … --shadow` against a local fake Shopify on 127.0.0.1, over stdio (the Done-when)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from vendor_fakes import build as b
from vendor_fakes import google_ads, google_business, klaviyo, meta
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
        args = [
            "-m",
            "cadencia",
            "serve",
            "all",
            "--db",
            str(db),
            "--backends",
            str(config),
            "--shadow",
            "--policy",
            "off",
        ]
        params = StdioServerParameters(command=sys.executable, args=args, env=env)
        with anyio.fail_after(60):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                names = {t.name for t in (await session.list_tools()).tools}
                assert {"inventory_get_product", "inventory_adjust_stock", "ads_list_campaigns"} <= names
                product = await session.call_tool("inventory_get_product", {"sku": "ML-000001"})
                assert not product.is_error and product.structured_content
                assert product.structured_content["on_hand"] == 133
                adjusted = await session.call_tool(
                    "inventory_adjust_stock",
                    {"sku": "ML-000001", "warehouse_id": "11", "delta": -3, "expected_on_hand": 133, "reason": "count"},
                )
                assert not adjusted.is_error, adjusted.content
                po = await session.call_tool(
                    "inventory_create_purchase_order", {"sku": "ML-000001", "warehouse_id": "11", "quantity": 5}
                )
                assert po.is_error and "not supported by Shopify" in po.content[0].text  # type: ignore[union-attr]
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


def every_vendor_config(tmp_path: Path, urls: dict[str, str]) -> Path:
    oauth = f"    oauth:\n      client_id: test.apps.googleusercontent.com\n      token_url: {urls['oauth']}/token\n"
    text = (
        "shadow: true\n"
        f"inventory:\n  backend: shopify\n  shop_url: https://lysa.myshopify.com\n  base_url: {urls['shopify']}\n"
        "ads:\n  backend: combined\n  accounts:\n"
        f"    - backend: meta\n      ad_account_id: act_{meta.ACCOUNT}\n      currency: EUR\n"
        f"      base_url: {urls['meta']}\n"
        f"    - backend: google_ads\n      customer_id: '{google_ads.CUSTOMER}'\n      currency: EUR\n"
        f"      base_url: {urls['google_ads']}\n"
        + oauth.replace("    ", "      ", 1).replace("\n      ", "\n        ")
        + "crm:\n  backend: klaviyo\n  currency: EUR\n  from_email: hola@lysa.example\n  from_label: Lysa\n"
        f"  base_url: {urls['klaviyo']}\n"
        f"reviews:\n  backend: google_business\n  account_id: '{google_business.ACCOUNT}'\n"
        f"  location_id: '{google_business.LOCATION}'\n  base_url: {urls['gbp']}\n"
        + oauth.replace("    ", "  ", 1).replace("\n      ", "\n    ")
    )
    path = tmp_path / "every.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_serve_all_answers_from_every_vendor_in_shadow_and_sends_nothing(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.db"
    shutil.copyfile(seeded_sqlite_template, db)
    seeded = Store.open(db)
    fakes = {
        "shopify": FakeShopify.from_store(seeded),
        "meta": meta.FakeMeta.from_store(seeded),
        "google_ads": google_ads.FakeGoogleAds.from_store(seeded),
        "klaviyo": klaviyo.FakeKlaviyo.from_store(seeded),
        "gbp": google_business.FakeGoogleBusiness.from_store(seeded),
        "oauth": google_ads.FakeGoogleOAuth(),
    }
    seeded.close()
    fakes["meta"].page_size = 25  # type: ignore[attr-defined]
    before = {name: getattr(fake, "state", lambda: None)() for name, fake in fakes.items()}
    with ExitStack() as stack:
        urls = {name: stack.enter_context(serve(fake.handle)) for name, fake in fakes.items()}
        config = every_vendor_config(tmp_path, urls)
        env = {**os.environ, **b.ENV}
        args = ["-m", "cadencia", "serve", "all", "--db", str(db), "--backends", str(config), "--policy", "off"]
        params = StdioServerParameters(command=sys.executable, args=args, env=env)
        with anyio.fail_after(90):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()

                async def call(tool: str, arguments: dict[str, object]) -> dict[str, object]:
                    result = await session.call_tool(tool, arguments)
                    assert not result.is_error, (tool, result.content)
                    return result.structured_content or {}

                campaigns = await call("ads_list_campaigns", {"limit": 10})
                ids = [c["id"] for c in campaigns["items"]]  # type: ignore[union-attr, index]
                assert ids[0].startswith("meta:") and ids[-1].startswith("google:") and len(ids) == 6
                changed = await call(
                    "ads_set_budget",
                    {
                        "campaign_id": ids[-1],
                        "daily_budget_minor": 6000,
                        "currency": "EUR",
                        "expected_current_minor": 5000,
                    },
                )
                assert changed["undo_token"] is None
                contact = await call("crm_get_contact", {"contact_id": klaviyo.klaviyo_id("C-0000003")})
                assert contact["pii_masked"] and str(contact["email"]).endswith("***@example.com")
                draft = await call(
                    "crm_draft_message",
                    {"channel": "email", "subject": "Hi", "body": "Hello", "claim_ids": [], "ai_generated": False},
                )
                report = await call(
                    "crm_send_now",
                    {"message_id": draft["message"]["id"], "segment_id": "segment:SEG-VIP"},  # type: ignore[index]
                )
                assert report["send"]["recipients"] > 0  # type: ignore[index]
                reviews = await call("reviews_list_reviews", {"unanswered": True, "limit": 5})
                review_id = reviews["items"][0]["id"]  # type: ignore[index]
                await call(
                    "reviews_reply_to_review",
                    {"review_id": review_id, "body": "Thank you for your review!", "claim_ids": []},
                )
                product = await call("inventory_get_product", {"sku": "ML-000001"})
                assert product["price_floor_minor"] == 1614
        check = subprocess.run(
            [sys.executable, "-m", "cadencia", "backends", "check", str(config), "--db", str(db)],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": "250"},
        )
        assert check.returncode == 0, check.stdout + check.stderr
        for probe in ("shop currency EUR", "campaign(s) readable", "segment(s)/list(s) readable", "review(s)"):
            assert probe in check.stdout
        assert all(secret not in check.stdout + check.stderr for secret in b.ENV.values())
    after = {name: getattr(fake, "state", lambda: None)() for name, fake in fakes.items()}
    assert after == before
    store = Store.open(db)
    proposed = {
        (p.backend, p.tool)
        for name in ("google_ads", "klaviyo", "google_business")
        for p in VendorLedger(store, name).proposals()
    }
    store.close()
    assert proposed == {("google_ads", "set_budget"), ("klaviyo", "send_now"), ("google_business", "reply_to_review")}
