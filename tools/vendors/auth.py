"""How a request proves who it is: a static header (API key, access token) or OAuth 2.0 with refresh."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import httpx
from pydantic import BaseModel, SecretStr

from cadencia.tools.errors import VendorError, VendorUnavailable
from cadencia.tools.vendors.secrets import Scrubber

REFRESH_MARGIN_S = 60.0


class Auth(Protocol):
    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]: ...

    async def refresh(self, client: httpx.AsyncClient) -> bool:
        """Get a new credential after a 401; False when this scheme cannot refresh."""
        ...


class HeaderAuth:
    """One fixed header (Shopify `X-Shopify-Access-Token`, Klaviyo `Authorization: Klaviyo-API-Key …`, bearer)."""

    def __init__(self, name: str, value: SecretStr, *, prefix: str = "") -> None:
        self._name, self._value, self._prefix = name, value, prefix

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        return {self._name: f"{self._prefix}{self._value.get_secret_value()}"}

    async def refresh(self, client: httpx.AsyncClient) -> bool:
        return False


class TokenResponse(BaseModel):
    access_token: SecretStr
    expires_in: int = 3600


class OAuthRefresh:
    """OAuth 2.0 refresh-token grant (Google): fetches an access token, renews it before expiry and after a 401."""

    def __init__(
        self,
        *,
        vendor: str,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        refresh_token: SecretStr,
        scrubber: Scrubber,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._vendor, self._url, self._client_id = vendor, token_url, client_id
        self._secret, self._refresh_token, self._scrub = client_secret, refresh_token, scrubber
        self._timeout, self._clock = timeout_s, clock
        self._token: SecretStr | None = None
        self._expires_at = 0.0

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        if self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN_S:
            await self.refresh(client)
        assert self._token is not None
        return {"Authorization": f"Bearer {self._token.get_secret_value()}"}

    async def refresh(self, client: httpx.AsyncClient) -> bool:
        form = {
            "grant_type": "refresh_token",
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
            "refresh_token": self._refresh_token.get_secret_value(),
        }
        try:
            response = await client.post(self._url, data=form, timeout=self._timeout)
        except httpx.TransportError as exc:
            raise VendorUnavailable(f"{self._vendor} token endpoint unreachable ({type(exc).__name__})") from None
        if response.status_code >= 500:
            raise VendorUnavailable(f"{self._vendor} token endpoint returned HTTP {response.status_code}")
        if response.status_code != 200:
            detail = self._scrub(response.text[:200])
            raise VendorError(
                f"{self._vendor} refused to refresh the access token (HTTP {response.status_code}: {detail}); "
                "ask the operator to renew the refresh token",
                rule="auth",
            )
        token = TokenResponse.model_validate_json(response.content)
        self._scrub.add(token.access_token)
        self._token, self._expires_at = token.access_token, self._clock() + token.expires_in
        return True
