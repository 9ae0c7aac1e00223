"""The vendor-facing CLI: clean errors before anything starts, and `run --backends` on in-process vendor servers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import respx
from typer.testing import CliRunner
from vendor_fakes import build as b
from vendor_fakes.shopify import TOKEN, FakeShopify

from cadencia.agents.session import connect_servers, inprocess_spec, parse_inprocess
from cadencia.agents.workdir import Workdir
from cadencia.cli import app

GOAL = Path(__file__).parents[2] / "agents" / "goals"


def backends_file(tmp_path: Path, *, secrets: str | None = None) -> Path:
    path = tmp_path / "backends.yaml"
    head = f"secrets_file: {secrets}\n" if secrets else ""
    path.write_text(
        head + "inventory:\n  backend: shopify\n  shop_url: https://lysa.myshopify.com\n"
        "crm:\n  backend: klaviyo\n  currency: EUR\n  from_email: hola@lysa.example\n  from_label: Lysa\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def seeded_db(seeded_sqlite_template: Path, tmp_path: Path) -> Path:
    db = tmp_path / "ledger.db"
    shutil.copyfile(seeded_sqlite_template, db)
    return db


def test_serve_with_a_missing_credential_is_a_clean_error_naming_the_variable(
    tmp_path: Path, seeded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", TOKEN)
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    config = backends_file(tmp_path)
    args = ["serve", "all", "--db", str(seeded_db), "--backends", str(config)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 2
    assert "KLAVIYO_API_KEY is not set" in result.output and "crm.api_key_env" in result.output
    assert "Traceback" not in result.output and TOKEN not in result.output


def test_run_with_backends_refuses_missing_credentials_and_non_inprocess_servers_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOPIFY_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    config = backends_file(tmp_path)
    goal = next(GOAL.glob("*.yaml"))
    base = ["run", "--goal", str(goal), "--workdir", str(tmp_path / "wd"), "--backends", str(config)]
    missing = CliRunner().invoke(app, base, env={"COLUMNS": "250"})
    assert missing.exit_code == 2 and "SHOPIFY_ACCESS_TOKEN is not set" in missing.output
    stdio = CliRunner().invoke(app, [*base, "--servers", "stdio"], env={"COLUMNS": "250"})
    assert stdio.exit_code == 2 and "give --backends to `cadencia serve`" in " ".join(stdio.output.split())
    shadow_alone = CliRunner().invoke(app, ["run", "--goal", str(goal), "--shadow"])
    assert shadow_alone.exit_code == 2 and "--shadow needs --backends" in shadow_alone.output
    assert "Traceback" not in missing.output + stdio.output + shadow_alone.output


def test_the_recorded_spec_of_an_inprocess_run_keeps_its_backends_and_shadow(tmp_path: Path) -> None:
    config = backends_file(tmp_path)
    spec = inprocess_spec(config, shadow=True)
    assert parse_inprocess(spec) == (config.resolve(), True)
    assert parse_inprocess(inprocess_spec(None, shadow=False)) == (None, False)
    assert parse_inprocess("stdio") is None


async def test_inprocess_servers_of_a_run_serve_the_vendor_backends_in_shadow(
    tmp_path: Path, seeded_db: Path, respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeShopify()
    b.route_shopify(respx_mock, fake)
    (tmp_path / "secrets.env").write_text(
        f"SHOPIFY_ACCESS_TOKEN={TOKEN}\nKLAVIYO_API_KEY=pk_x_0001\n", encoding="utf-8"
    )
    config = backends_file(tmp_path, secrets="secrets.env")
    monkeypatch.setenv("CADENCIA_DB", str(seeded_db))
    workdir = Workdir.at(tmp_path / "wd")
    async with connect_servers(inprocess_spec(config, shadow=True), workdir) as (toolbox, _):
        product = await toolbox.read("inventory_get_product", {"sku": "ML-000001"})
        assert product is not None and product["on_hand"] == 133
        outcome = await toolbox.call(
            "inventory_adjust_stock",
            {"sku": "ML-000001", "warehouse_id": "11", "delta": -3, "expected_on_hand": 133, "reason": "count"},
        )
        assert outcome.ok, outcome.text
    assert fake.mutations == [] and any(c.request.url.host == "lysa.myshopify.com" for c in respx_mock.calls)
