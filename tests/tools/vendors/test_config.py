"""backends.yaml validation: one clear error naming the field, and no credential ever accepted in the file."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cadencia.tools.errors import InvalidArgument
from cadencia.tools.store.store import Store
from cadencia.tools.vendors.config import Secrets, load_backends
from cadencia.tools.vendors.factory import Builder

EXAMPLE = Path(__file__).parents[3] / "examples" / "backends.yaml"


def test_the_example_file_validates_and_starts_in_shadow_mode() -> None:
    config = load_backends(EXAMPLE)
    assert config.shadow and config.inventory.backend == "shopify" and config.ads.backend == "combined"
    assert (config.crm.backend, config.reviews.backend) == ("klaviyo", "google_business")
    assert set(config.credentials().values()) >= {"GOOGLE_ADS_DEVELOPER_TOKEN", "KLAVIYO_API_KEY", "GBP_REFRESH_TOKEN"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "inventory:\n  backend: shopify\n  shop_url: https://x.myshopify.com\n  access_token: shpat_123\n",
            "inventory.shopify.access_token: Extra inputs are not permitted",
        ),
        ("ads:\n  backend: meta\n  ad_account_id: act_1\n  currency: eur\n", "ads.meta.currency"),
        ("crm:\n  backend: hubspot\n", "crm"),
        ("inventory: [\n", "not valid YAML"),
    ],
)
def test_bad_files_are_refused_naming_the_field(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidArgument) as caught:
        load_backends(path)
    assert needle in str(caught.value) and "shpat_123" not in str(caught.value)


async def test_a_missing_credential_names_the_variable_and_a_secrets_file_supplies_it(
    tmp_path: Path, store: Store
) -> None:
    config_path = tmp_path / "backends.yaml"
    config_path.write_text(
        "secrets_file: secrets.env\ninventory:\n  backend: shopify\n  shop_url: https://x.myshopify.com\n",
        encoding="utf-8",
    )
    (tmp_path / "secrets.env").write_text("# comment\nOTHER=1\n", encoding="utf-8")
    config = load_backends(config_path)
    async with httpx.AsyncClient() as client:
        with pytest.raises(InvalidArgument, match="SHOPIFY_ACCESS_TOKEN is not set"):
            Builder(config, client=client, store=store, secrets=Secrets(config.secrets_file, {})).build()
        (tmp_path / "secrets.env").write_text("SHOPIFY_ACCESS_TOKEN=shpat_from_file\n", encoding="utf-8")
        built = Builder(config, client=client, store=store, secrets=Secrets(config.secrets_file, {})).build()
    assert built.inventory is not None and built.names == {
        "inventory": "shopify",
        "ads": "sandbox",
        "crm": "sandbox",
        "reviews": "sandbox",
    }
