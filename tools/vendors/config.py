"""`backends.yaml`: per capability `sandbox` or a vendor, validated by pydantic; credentials are never in the file.

A credential is named by the environment variable holding it (`*_env`); a `secrets_file` (KEY=VALUE lines) named
in the config is read when the variable is not set. Unknown keys are refused, so a token pasted into the YAML is an
error, not a silently ignored (or logged) value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cadencia.tools.errors import InvalidArgument
from cadencia.tools.yamlmodel import load_yaml_model

EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$", description="Environment variable holding a secret.")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Connection(_Strict):
    base_url: str | None = Field(None, description="Override the vendor's API root (a proxy or a local fake).")
    timeout_s: float = Field(20.0, gt=0, le=120)
    max_attempts: int = Field(4, ge=1, le=10)
    requests_per_second: float = Field(4.0, gt=0, le=100, description="Pacing: steady request rate.")


class Sandbox(_Strict):
    backend: Literal["sandbox"] = "sandbox"

    def credentials(self) -> dict[str, str]:
        return {}


class ShopifyConfig(Connection):
    backend: Literal["shopify"]
    shop_url: str = Field(pattern=r"^https?://", description="https://<shop>.myshopify.com")
    api_version: str = Field("2026-10", pattern=r"^\d{4}-\d{2}$")
    access_token_env: EnvName = "SHOPIFY_ACCESS_TOKEN"
    lead_time_days: int = Field(14, ge=1, le=365)

    def credentials(self) -> dict[str, str]:
        return {"access_token_env": self.access_token_env}


class MetaConfig(Connection):
    backend: Literal["meta"]
    ad_account_id: str = Field(pattern=r"^(act_)?\d+$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    api_version: str = Field("v27.0", pattern=r"^v\d+\.\d+$")
    access_token_env: EnvName = "META_ACCESS_TOKEN"

    def credentials(self) -> dict[str, str]:
        return {"access_token_env": self.access_token_env}


class GoogleOAuth(_Strict):
    client_id: str
    client_secret_env: EnvName = "GOOGLE_CLIENT_SECRET"
    refresh_token_env: EnvName = "GOOGLE_REFRESH_TOKEN"
    token_url: str = "https://oauth2.googleapis.com/token"

    def credentials(self) -> dict[str, str]:
        return {"oauth.client_secret_env": self.client_secret_env, "oauth.refresh_token_env": self.refresh_token_env}


class GoogleAdsConfig(Connection):
    backend: Literal["google_ads"]
    customer_id: str = Field(pattern=r"^\d{10}$", description="10 digits, no dashes.")
    login_customer_id: str | None = Field(None, pattern=r"^\d{10}$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    api_version: str = Field("v26", pattern=r"^v\d+$")
    developer_token_env: EnvName = "GOOGLE_ADS_DEVELOPER_TOKEN"
    oauth: GoogleOAuth

    def credentials(self) -> dict[str, str]:
        return {"developer_token_env": self.developer_token_env, **self.oauth.credentials()}


AdsAccount = Annotated[MetaConfig | GoogleAdsConfig, Field(discriminator="backend")]


class CombinedAdsConfig(_Strict):
    """Several ad platforms behind one ads capability; campaign ids are prefixed `meta:` / `google:`."""

    backend: Literal["combined"]
    accounts: list[AdsAccount] = Field(min_length=2, max_length=2, description="One Meta and one Google Ads account.")

    @model_validator(mode="after")
    def _one_per_platform(self) -> Self:
        kinds = [a.backend for a in self.accounts]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"each ad platform may appear once (got {', '.join(kinds)})")
        return self

    def credentials(self) -> dict[str, str]:
        return {f"accounts.{i}.{k}": v for i, a in enumerate(self.accounts) for k, v in a.credentials().items()}


class KlaviyoConfig(Connection):
    backend: Literal["klaviyo"]
    revision: str = Field("2026-10-15", pattern=r"^\d{4}-\d{2}-\d{2}$")
    api_key_env: EnvName = "KLAVIYO_API_KEY"
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="The Klaviyo account's currency (lifetime values).")
    from_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="Sender address of email campaigns.")
    from_label: str = Field(min_length=1, max_length=100, description="Sender name of email campaigns.")

    def credentials(self) -> dict[str, str]:
        return {"api_key_env": self.api_key_env}


class GoogleBusinessConfig(Connection):
    backend: Literal["google_business"]
    account_id: str = Field(pattern=r"^\d+$")
    location_id: str = Field(pattern=r"^\d+$")
    edits_per_minute: float = Field(10, gt=0, le=60, description="Reply edits per minute per profile (Google: ~10).")
    oauth: GoogleOAuth

    def credentials(self) -> dict[str, str]:
        return self.oauth.credentials()


Inventory = Annotated[Sandbox | ShopifyConfig, Field(discriminator="backend")]
Ads = Annotated[Sandbox | MetaConfig | GoogleAdsConfig | CombinedAdsConfig, Field(discriminator="backend")]
Crm = Annotated[Sandbox | KlaviyoConfig, Field(discriminator="backend")]
Reviews = Annotated[Sandbox | GoogleBusinessConfig, Field(discriminator="backend")]


class BackendsConfig(_Strict):
    """Which backend serves each capability; `shadow: true` records vendor writes as proposals instead of sending."""

    secrets_file: Path | None = Field(None, description="KEY=VALUE file read when a variable is not set.")
    shadow: bool = False
    inventory: Inventory = Sandbox()
    ads: Ads = Sandbox()
    crm: Crm = Sandbox()
    reviews: Reviews = Sandbox()

    def credentials(self) -> dict[str, str]:
        """Every credential the file names: `capability.field` → environment variable."""
        return {
            f"{capability}.{field}": env
            for capability in ("inventory", "ads", "crm", "reviews")
            for field, env in getattr(self, capability).credentials().items()
        }


def load_backends(path: Path) -> BackendsConfig:
    """Read and validate a backends file; relative `secrets_file` paths are relative to the file."""
    config = load_yaml_model(
        BackendsConfig, path.read_text(encoding="utf-8"), source=f"backends file {path}", error=InvalidArgument
    )
    if config.secrets_file is not None and not config.secrets_file.is_absolute():
        config = config.model_copy(update={"secrets_file": path.parent / config.secrets_file})
    return config


class Secrets:
    """Looks credentials up by variable name: the environment first, then the secrets file."""

    def __init__(self, secrets_file: Path | None, environ: dict[str, str] | None = None) -> None:
        self._env = dict(os.environ if environ is None else environ)
        self._file: dict[str, str] = {}
        if secrets_file is not None:
            if not secrets_file.exists():
                raise InvalidArgument(f"secrets_file {secrets_file} does not exist", field="secrets_file")
            for line in secrets_file.read_text(encoding="utf-8").splitlines():
                name, sep, value = line.strip().partition("=")
                if sep and name and not name.startswith("#"):
                    self._file[name.strip()] = value.strip().strip('"').strip("'")

    def check(self, config: BackendsConfig) -> None:
        """Refuse to start when any credential the config names is missing (the first one is named)."""
        for field, name in config.credentials().items():
            self.get(name, field=field)

    def get(self, name: str, *, field: str) -> SecretStr:
        value = self._env.get(name) or self._file.get(name)
        if not value:
            raise InvalidArgument(
                f"{field}: the credential variable {name} is not set (environment or secrets_file)", field=field
            )
        return SecretStr(value)
