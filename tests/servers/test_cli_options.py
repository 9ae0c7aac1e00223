"""The options `serve`, `proxy` and `inbox` share: half a JWT configuration or a bad policy file is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from cadencia.servers.cli_options import jwt_settings, server_policy


def test_half_a_jwt_configuration_is_refused_naming_the_missing_option(tmp_path: Path) -> None:
    assert jwt_settings(None, None, None, None) is None
    with pytest.raises(typer.BadParameter, match="--auth-audience"):
        jwt_settings("https://issuer.example", None, "https://issuer.example/jwks", None)
    key = tmp_path / "key.pem"
    key.write_text("PEM", encoding="utf-8")
    with pytest.raises(typer.BadParameter, match="exactly one of --jwks-url or --jwt-key"):
        jwt_settings("https://issuer.example", "cadencia", "https://issuer.example/jwks", key)
    settings = jwt_settings("https://issuer.example", "cadencia", None, key)
    assert settings is not None and settings.public_key_pem == "PEM"


def test_the_server_policy_option_reads_default_off_or_a_file_that_validates(tmp_path: Path) -> None:
    assert server_policy("off") is None
    assert server_policy("default") is not None
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\nname: bad\nbudgets: {nope: 1}\n", encoding="utf-8")
    with pytest.raises(typer.BadParameter) as refused:
        server_policy(str(bad))
    assert refused.value.param_hint == "--policy"
