"""Which Host and Origin headers an HTTP server accepts: DNS-rebinding protection on every bind, loopback included."""

from __future__ import annotations

import ipaddress

from mcp.server.transport_security import TransportSecuritySettings

LOOPBACK_NAMES = {"localhost"}
MIN_PUBLIC_TOKEN_CHARS = 32


def bare_host(host: str) -> str:
    """`[::1]` → `::1`: what a socket binds to."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def host_literal(host: str) -> str:
    """`::1` → `[::1]`: what a URL and a Host header carry."""
    bare = bare_host(host)
    return f"[{bare}]" if ":" in bare else bare


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(bare_host(host)).is_loopback
    except ValueError:
        return False


def http_security(host: str, port: int, allowed_hosts: list[str] | None = None) -> TransportSecuritySettings:
    """Accept only the bound address (and, on loopback, `localhost`) plus any `--allowed-host`; every bind checked.

    The SDK switches the check on by itself only for 127.0.0.1, localhost and ::1; 127.0.0.2 or a public address
    would accept any Host header (DNS rebinding), so the settings are always given explicitly.
    """
    hosts = [f"{host_literal(host)}:{port}"]
    if is_loopback(host):
        hosts += [f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"]
    for extra in allowed_hosts or []:
        hosts.append(extra)
    hosts = list(dict.fromkeys(hosts))
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")],
    )
