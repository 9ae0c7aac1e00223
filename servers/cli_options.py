"""Options shared by the CLIs that serve (`serve`, `proxy`, `inbox`): JWT auth and the server policy, read and
checked once so every command refuses half a configuration with the same message."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cadencia.servers.auth import JwtSettings

if TYPE_CHECKING:
    from cadencia.tools.policy.server import ServerPolicy


def jwt_settings(issuer: str | None, audience: str | None, jwks: str | None, key: Path | None) -> JwtSettings | None:
    """JWT settings from the options, or None when none was given; half a configuration is an error naming it."""
    if not any((issuer, audience, jwks, key)):
        return None
    if not issuer or not audience:
        raise typer.BadParameter("JWT auth needs both --auth-issuer and --auth-audience", param_hint="--auth-issuer")
    if (jwks is None) == (key is None):
        raise typer.BadParameter("JWT auth needs exactly one of --jwks-url or --jwt-key", param_hint="--jwks-url")
    pem = key.read_text(encoding="utf-8") if key is not None else None
    return JwtSettings(issuer=issuer, audience=audience, jwks_url=jwks, public_key_pem=pem)


def server_policy(option: str) -> ServerPolicy | None:
    """`default`, `off`, or a file; a file that does not validate is refused naming the rule and field."""
    if option == "off":
        return None
    from cadencia.tools.policy.policy import PolicyError
    from cadencia.tools.policy.server import default_server_policy, load_server_policy

    try:
        return default_server_policy() if option == "default" else load_server_policy(Path(option))
    except PolicyError as exc:
        raise typer.BadParameter(str(exc), param_hint="--policy") from None
