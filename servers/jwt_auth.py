"""OAuth 2.1 resource server: JWT access tokens from an external issuer, checked with PyJWT.

Signature (JWKS URL or a PEM public key), issuer, audience and expiry are checked; scopes come from the `scope`
claim (space-separated, RFC 9068) or `scp`; the token's subject rides on `AccessToken.subject` for every tool call.
Why a token was refused is kept for the `WWW-Authenticate` header (`refusal_reason`), never the token itself.
"""

from __future__ import annotations

import anyio.to_thread
import jwt
from mcp.server.auth.provider import AccessToken, TokenVerifier

from cadencia.servers.auth import JwtSettings, refuse

__all__ = ["ALGORITHMS", "JwtSettings", "JwtTokenVerifier"]

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


class JwtTokenVerifier(TokenVerifier):
    """Accepts JWTs signed by the issuer's keys, for this audience, unexpired; refuses everything else."""

    def __init__(self, settings: JwtSettings) -> None:
        if (settings.jwks_url is None) == (settings.public_key_pem is None):
            raise ValueError("give exactly one of a JWKS URL or a PEM public key")
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None

    def _key(self, token: str) -> object:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        return self.settings.public_key_pem

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            # A JWKS key not cached yet is fetched over the network: on a worker thread, not the event loop.
            key = await anyio.to_thread.run_sync(self._key, token) if self._jwks is not None else self._key(token)
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=ALGORITHMS,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            refuse("the token has expired")
            return None
        except jwt.InvalidAudienceError:
            refuse(f"the token is not for this server (audience must be {self.settings.audience})")
            return None
        except jwt.InvalidIssuerError:
            refuse(f"the token was not issued by {self.settings.issuer}")
            return None
        except jwt.InvalidSignatureError:
            refuse("the token's signature does not verify")
            return None
        except jwt.PyJWKClientConnectionError:
            refuse("the issuer's signing keys could not be fetched (JWKS URL unreachable); try again later")
            return None
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            refuse(f"the token is not a valid JWT ({type(exc).__name__})")
            return None
        raw_scopes = claims.get("scope", claims.get("scp", ""))
        scopes = raw_scopes.split() if isinstance(raw_scopes, str) else [str(s) for s in raw_scopes]
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or claims["sub"]),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            resource=self.settings.audience,
            subject=str(claims["sub"]),
            claims={"iss": claims["iss"]},
        )
